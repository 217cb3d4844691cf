package io.msb.api.image;

/** Progress of a pull, in order: Resolving, Resolved, LayerProgress…, Materializing, Complete. */
public sealed interface PullEvent {
    record Resolving(String reference) implements PullEvent {
    }

    record Resolved(String manifestDigest, int layerCount, long totalBytes) implements PullEvent {
    }

    record LayerProgress(String digest, long doneBytes, long totalBytes) implements PullEvent {
    }

    record Materializing(String manifestDigest) implements PullEvent {
    }

    record Complete(ImageInfo image) implements PullEvent {
    }
}
