package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Per-sandbox settings agentd applies as PID 1 before it serves the protocol, carried on the kernel command
 * line as {@code msb.bootstrap=<base64url(CBOR)>} (decision 0203; names follow microsandbox's GuestBootstrap).
 * Absent fields are left out of the encoding and take agentd's defaults.
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

    /** The kernel's command line holds at most 2047 bytes; the fixed arguments take about 200. */
    public static final int MAX_KERNEL_ARGUMENT_BYTES = 1536;

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
     * The kernel argument that carries this bootstrap.
     *
     * @throws IllegalArgumentException if it would not fit on the kernel command line; large environments
     *         belong in exec requests
     */
    public String kernelArgument() {
        String arg = "msb.bootstrap=" + Base64.getUrlEncoder().withoutPadding().encodeToString(Codec.encodePayload(this));
        if (arg.length() > MAX_KERNEL_ARGUMENT_BYTES) {
            throw new IllegalArgumentException("the guest bootstrap is " + arg.length()
                    + " bytes on the kernel command line (max " + MAX_KERNEL_ARGUMENT_BYTES
                    + "): pass large environments to exec instead");
        }
        return arg;
    }
}
