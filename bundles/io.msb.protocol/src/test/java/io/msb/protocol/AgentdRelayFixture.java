package io.msb.protocol;

import io.msb.protocol.internal.Relay;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay tests' fixture: before each test a real agentd listening on {@code vm.sock} in a fresh directory; the
 * relay a test puts in front of it listens on {@code agent.sock}. Both are closed after the test.
 */
abstract class AgentdRelayFixture {
    @TempDir
    Path dir;
    Agentd agent;
    Relay relay;

    @BeforeEach
    void startAgent() throws Exception {
        Agentd.binary();
        agent = Agentd.listen(vmSocket());
    }

    @AfterEach
    void stopRelayAndAgent() {
        if (relay != null) {
            relay.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    /** The socket agentd listens on, as QEMU's chardev would. */
    Path vmSocket() {
        return dir.resolve("vm.sock");
    }

    /** The path the relay listens on. */
    Path relaySocket() {
        return dir.resolve("agent.sock");
    }

    /** Starts the relay, closed after the test. */
    Relay startRelay(Relay.Options options) throws IOException {
        relay = Relay.start(vmSocket(), relaySocket(), options);
        return relay;
    }
}
