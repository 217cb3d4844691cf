package io.msb.api.image;

import io.msb.api.NotFoundException;

/**
 * The image (or a manifest or blob it needs) is neither cached nor in its registry: a missing image, as
 * opposed to a missing sandbox, so that callers can tell the two apart (the HTTP API's {@code image_not_found}).
 */
public class ImageNotFoundException extends NotFoundException {
    private static final long serialVersionUID = 1L;

    /** {@code kind}: what is missing ({@code image}, {@code image manifest}, {@code blob}). */
    public ImageNotFoundException(String kind, String name) {
        super(kind, name);
    }
}
