package io.msb.api.store;

import java.time.Instant;
import java.util.List;

/**
 * An image reference and the manifest it points to.
 *
 * @param reference normalised reference
 * @param manifestDigest platform manifest digest
 * @param configDigest config blob digest
 * @param configJson the config blob's runtime part, as JSON
 * @param layers layers, lowest first
 * @param createdAt when it was recorded
 */
public record ImageRecord(String reference, String manifestDigest, String configDigest, String configJson,
        List<LayerRecord> layers, Instant createdAt) {
    public ImageRecord {
        layers = List.copyOf(layers);
    }
}
