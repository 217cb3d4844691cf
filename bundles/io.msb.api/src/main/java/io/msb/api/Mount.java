package io.msb.api;

import java.util.Objects;

/**
 * A host directory or named volume made visible at {@code guestPath}.
 *
 * @param source host path (absolute) or volume name
 * @param guestPath absolute path in the guest
 * @param kind whether {@code source} is a host path or a named volume
 * @param readOnly mount read-only in the guest
 */
public record Mount(String source, String guestPath, Kind kind, boolean readOnly) {
    public enum Kind { BIND, VOLUME }

    public Mount {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(guestPath, "guestPath");
        Objects.requireNonNull(kind, "kind");
    }
}
