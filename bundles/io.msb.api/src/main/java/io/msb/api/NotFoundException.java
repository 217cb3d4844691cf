package io.msb.api;

/** The named sandbox, image, volume or snapshot does not exist. */
public class NotFoundException extends MsbException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String kind, String name) {
        super(kind + " not found: " + name);
    }
}
