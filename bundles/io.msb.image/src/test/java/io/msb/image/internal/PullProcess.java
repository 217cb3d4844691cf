package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import io.msb.api.PullPolicy;
import io.msb.store.internal.H2Store;
import java.nio.file.Path;

/** A separate JVM that pulls one image into a shared cache, for the cross-process single-download test. */
public final class PullProcess {
    private PullProcess() {
    }

    /** Args: msb home (shared cache), store directory (own H2 database), image reference. */
    public static void main(String[] args) throws Exception {
        try (var store = H2Store.open(Path.of(args[1]), 2);
                var images = new OciImageService(ImageRecords.of(store), ImageSettings.defaults(Path.of(args[0]))
                        .withCredentials(java.util.List.of(), null))) {
            var info = images.pull(ImageReference.parse(args[2]), PullPolicy.ALWAYS, e -> { });
            System.out.println("PULLED " + info.manifestDigest());
        }
    }
}
