package io.msb.api.exec;

import java.util.Objects;

/**
 * A resource limit for a guest process, as {@code setrlimit(2)}.
 *
 * @param resource lower-case name without the {@code RLIMIT_} prefix: {@code nofile}, {@code nproc}, {@code as} …
 * @param soft soft limit
 * @param hard hard limit
 */
public record Rlimit(String resource, long soft, long hard) {
    public Rlimit {
        Objects.requireNonNull(resource, "resource");
    }
}
