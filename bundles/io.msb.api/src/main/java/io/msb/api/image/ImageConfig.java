package io.msb.api.image;

import java.util.List;

/**
 * The runtime defaults an image's config blob carries.
 *
 * @param env {@code KEY=value} entries
 * @param entrypoint entrypoint, possibly empty
 * @param cmd default command, possibly empty
 * @param workingDir working directory, or null
 * @param user user, or null
 * @param exposedPorts e.g. {@code 80/tcp}
 */
public record ImageConfig(List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
        String user, List<String> exposedPorts) {
    public ImageConfig {
        env = List.copyOf(env == null ? List.of() : env);
        entrypoint = List.copyOf(entrypoint == null ? List.of() : entrypoint);
        cmd = List.copyOf(cmd == null ? List.of() : cmd);
        exposedPorts = List.copyOf(exposedPorts == null ? List.of() : exposedPorts);
    }
}
