package io.msb.api;

/** A sandbox (or other named thing) with that name exists and replacing it was not asked for. */
public class AlreadyExistsException extends MsbException {
    private static final long serialVersionUID = 1L;

    public AlreadyExistsException(String kind, String name) {
        super(kind + " already exists: " + name);
    }
}
