package io.msb.api.image;

import io.msb.api.PullPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * OCI images: resolve, pull into the shared cache, list, remove, load and save archives. References arrive parsed
 * ({@link ImageReference#parse}): each edge (HTTP, console, CLI) parses once and reports the field it came from.
 */
@ProviderType
public interface ImageService {
    /** Archive formats for {@link #load} and {@link #save}. */
    enum ArchiveFormat { DOCKER, OCI_LAYOUT }

    /** Makes the image available locally according to {@code policy}, reporting progress. */
    ImageInfo pull(ImageReference reference, PullPolicy policy, Consumer<PullEvent> progress);

    Optional<ImageInfo> find(ImageReference reference);

    List<ImageInfo> list();

    /** Removes the reference; blobs no other image uses are deleted. */
    void remove(ImageReference reference);

    /** Deletes cached blobs that no image references; returns the bytes freed. */
    long prune();

    /** Loads a Docker-archive or OCI-layout tarball; returns the images it contained. */
    List<ImageInfo> load(Path archive);

    void save(ImageReference reference, Path archive, ArchiveFormat format);
}
