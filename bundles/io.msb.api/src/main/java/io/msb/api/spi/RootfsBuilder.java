package io.msb.api.spi;

import io.msb.api.RootfsSource;
import io.msb.api.image.ImageInfo;
import java.nio.file.Path;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Turns images into disks: a shared read-only root per image and a fresh writable upper per sandbox. */
@ProviderType
public interface RootfsBuilder {
    /** The read-only root disk of a pulled image, built once and cached by manifest digest. */
    VmSpec.Disk rootDisk(ImageInfo image);

    /** Checks a host-directory or disk-image source and returns the disk (or share) it denotes. */
    VmSpec.Disk rootDisk(RootfsSource source);

    /** Creates a sparse writable upper disk of {@code sizeMib} at {@code file}. */
    VmSpec.Disk createUpper(Path file, int sizeMib);

    /** Applies patches to an upper disk that no VM is using. */
    void applyPatches(Path upper, List<RootfsPatch> patches);
}
