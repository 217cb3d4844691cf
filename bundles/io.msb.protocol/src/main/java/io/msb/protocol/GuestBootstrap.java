package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Per-sandbox settings agentd applies as PID 1 before it serves the protocol (decision 0203; names follow
 * microsandbox's GuestBootstrap). It reaches the VMM backend as the argument {@code msb.bootstrap=<base64url(CBOR)>}
 * among {@code VmSpec.kernelArgs}; the backend takes it off the command line and hands it to the guest privately,
 * since it carries the environment and so secrets (decision 0240). Absent fields are left out of the encoding
 * and take agentd's defaults.
 *
 * @param hostname guest hostname (at most 64 bytes)
 * @param defaultEnv environment every process inherits
 * @param user default user of execs (name or uid[:gid])
 * @param defaultCwd default working directory of execs
 * @param rlimits limits applied to PID 1 and so inherited
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record GuestBootstrap(String hostname, List<EnvVar> defaultEnv, String user, String defaultCwd,
        List<Rlimit> rlimits) {

    /** The argument's prefix. */
    public static final String ARGUMENT_PREFIX = "msb.bootstrap=";
    /** The most CBOR bytes agentd reads (its BOOTSTRAP_MAX); env itself is limited to 256 KiB before this. */
    public static final int MAX_BYTES = 1 << 20;

    public record EnvVar(String key, String value) {
    }

    public record Rlimit(String resource, long soft, long hard) {
    }

    public GuestBootstrap {
        defaultEnv = defaultEnv == null ? List.of() : List.copyOf(defaultEnv);
        rlimits = rlimits == null ? List.of() : List.copyOf(rlimits);
    }

    /** Environment entries in the order of the map. */
    public static List<EnvVar> env(Map<String, String> env) {
        return env.entrySet().stream().map(e -> new EnvVar(e.getKey(), e.getValue())).toList();
    }

    /**
     * The argument that carries this bootstrap to the VMM backend, which delivers it off the command line.
     *
     * @throws IllegalArgumentException if its CBOR exceeds {@link #MAX_BYTES}
     */
    public String kernelArgument() {
        byte[] cbor = Codec.encodePayload(this);
        if (cbor.length > MAX_BYTES) {
            throw new IllegalArgumentException("the guest bootstrap is " + cbor.length + " bytes (max " + MAX_BYTES
                    + "): pass large data to the sandbox as files or exec input instead");
        }
        return ARGUMENT_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(cbor);
    }
}
