package io.msb.api.store;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Durable image records: references, the manifests they point to and their layers. A manifest is shared by
 * the references that point to it; re-pointing or deleting a reference drops what nothing uses any more.
 * Every method is one transaction.
 */
@ProviderType
public interface ImageStore {
    /** Records the image and its layers, replacing an earlier record of the same reference. */
    void saveImage(ImageRecord image);

    Optional<ImageRecord> findImage(String reference);

    List<ImageRecord> listImages();

    /** Deletes the reference (and what only it used); returns whether it existed. */
    boolean deleteImage(String reference);
}
