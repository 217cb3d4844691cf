package io.msb.api.image;

import java.time.Instant;
import java.util.List;

/**
 * A cached image.
 *
 * @param reference the normalised reference it was pulled as (e.g. {@code docker.io/library/alpine:latest})
 * @param manifestDigest digest of the platform manifest
 * @param configDigest digest of the config blob
 * @param layers layers, lowest first
 * @param config runtime defaults
 * @param pulledAt when it was cached
 */
public record ImageInfo(String reference, String manifestDigest, String configDigest, List<LayerInfo> layers,
        ImageConfig config, Instant pulledAt) {
    public ImageInfo {
        layers = List.copyOf(layers);
    }

    public long compressedSize() {
        return layers.stream().mapToLong(LayerInfo::size).sum();
    }
}
