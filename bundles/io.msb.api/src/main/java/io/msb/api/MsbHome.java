package io.msb.api;

import java.nio.file.Path;

/** Where the platform keeps its state when configuration does not say otherwise. */
public final class MsbHome {
    private MsbHome() {
    }

    /**
     * The configured home, else {@code $MSB_HOME}, else the {@code msb.home} system property, else
     * {@code ~/.msb}.
     */
    public static Path resolve(String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        String env = System.getenv("MSB_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        String prop = System.getProperty("msb.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".msb");
    }
}
