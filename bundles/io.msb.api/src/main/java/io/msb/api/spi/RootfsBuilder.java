package io.msb.api.spi;

import io.msb.api.RootfsSource;
import io.msb.api.image.ImageInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/** Turns images into disks: a shared read-only root per image and a fresh writable upper per sandbox. */
@ProviderType
public interface RootfsBuilder {
    /** The read-only root disk of a pulled image, built once and cached by manifest digest. */
    VmSpec.Disk rootDisk(ImageInfo image);

    /**
     * Builds the root disk of an image whose layers are still downloading, so that building overlaps the
     * downloads: {@code layersReady.get(i)} completes once the blob of layer {@code i} is verified in the blob
     * cache, or fails with the download's error. This default waits for every layer first.
     */
    default VmSpec.Disk rootDisk(ImageInfo image, List<? extends CompletionStage<?>> layersReady) {
        if (layersReady.size() != image.layers().size()) {
            throw new IllegalArgumentException("layersReady must have one stage per layer: " + layersReady.size()
                    + " for " + image.layers().size());
        }
        try {
            layersReady.forEach(r -> r.toCompletableFuture().join());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        return rootDisk(image);
    }

    /** Checks a host-directory or disk-image source and returns the disk (or share) it denotes. */
    VmSpec.Disk rootDisk(RootfsSource source);

    /** Creates a sparse writable upper disk of {@code sizeMib} at {@code file}. */
    VmSpec.Disk createUpper(Path file, int sizeMib);

    /**
     * Creates the upper disk for a sandbox whose read-only root is {@code lower} (a disk this builder returned):
     * the guest's {@code /} is the upper's root directory, so it takes the lower root's mode, owner and mtime
     * where the builder can read them (as Docker's overlay2 does). This default ignores {@code lower}.
     *
     * @since 1.2
     */
    default VmSpec.Disk createUpper(Path file, int sizeMib, VmSpec.Disk lower) {
        return createUpper(file, sizeMib);
    }

    /** Applies patches to an upper disk that no VM is using. */
    void applyPatches(Path upper, List<RootfsPatch> patches);
}
