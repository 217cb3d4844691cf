package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import io.msb.api.PullPolicy;
import io.msb.api.store.ImageStore;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;

/** A separate JVM that pulls one image into a shared cache, for the cross-process single-download test. */
public final class PullProcess {
    private PullProcess() {
    }

    /** Args: msb home (shared cache), store directory (own H2 database), image reference. */
    public static void main(String[] args) throws Exception {
        try (var msb = EmbeddedMsb.builder(Path.of(args[1])).bundles("io.msb.store")
                        .configure("io.msb.store", java.util.Map.of("maxConnections", 2)).start();
                var images = new OciImageService(msb.service(ImageStore.class), ImageSettings.defaults(Path.of(args[0]))
                        .withCredentials(java.util.List.of(), null))) {
            var info = images.pull(ImageReference.parse(args[2]), PullPolicy.ALWAYS, e -> { });
            System.out.println("PULLED " + info.manifestDigest());
        }
    }
}
