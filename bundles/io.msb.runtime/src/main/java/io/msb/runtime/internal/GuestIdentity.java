package io.msb.runtime.internal;

import io.msb.protocol.AgentClient;
import io.msb.protocol.GuestBootstrap;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * Gives a guest restored from a saved VM the identity of the sandbox it now is (decision 1248): every copy of one
 * memory image woke up with the same hostname, addresses, environment, random state and an old clock.
 */
final class GuestIdentity {
    /** Bytes mixed into the guest's random pool: more than its CRNG's 256-bit key. */
    private static final int SEED_BYTES = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    private GuestIdentity() {
    }

    /**
     * Applies {@code identity}'s hostname, network, environment, user and workdir, a fresh seed and the host's clock.
     * The boot-only parts (rlimits, handoff init, mounts) are left out: the restored guest keeps the ones it booted with.
     */
    static void apply(AgentClient agent, GuestBootstrap identity) {
        byte[] seed = new byte[SEED_BYTES];
        RANDOM.nextBytes(seed);
        agent.applyIdentity(new GuestBootstrap(identity.hostname(), identity.defaultEnv(), identity.user(),
                identity.defaultCwd(), java.util.List.of(), identity.network(), null, java.util.List.of()), seed,
                Instant.now());
    }
}
