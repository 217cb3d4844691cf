package io.msb.runtime.internal;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The runtime's effective configuration.
 *
 * @param home state directory ({@code $MSB_HOME})
 * @param defaultCpus vCPUs for specs that leave them unset
 * @param defaultMemoryMib memory for specs that leave it unset
 * @param defaultBackend name of the preferred VMM backend
 * @param stopGrace time between SIGTERM and SIGKILL
 */
public record RuntimeSettings(Path home, int defaultCpus, int defaultMemoryMib, String defaultBackend, Duration stopGrace) {

    public Path sandboxDir(String name) {
        return home.resolve("sandboxes").resolve(name);
    }
}
