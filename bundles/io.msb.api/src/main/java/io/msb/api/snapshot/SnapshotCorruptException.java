package io.msb.api.snapshot;

import io.msb.api.MsbException;

/** A snapshot artifact whose files do not match its manifest (a changed byte, a truncated disk). */
public class SnapshotCorruptException extends MsbException {
    private static final long serialVersionUID = 1L;

    public SnapshotCorruptException(String message) {
        super(message);
    }
}
