package io.msb.image.internal;

import io.msb.api.image.PullEvent;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.store.ImageStore;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * An image service over the real store, in a test's msb home; Docker's own config is never read. The store and root
 * builder bundles run in an embedded Felix (decision 0902) and are used through their services.
 */
final class ImageEnv implements AutoCloseable {
    final Path home;
    private final EmbeddedMsb msb;
    final ImageStore store;
    final OciImageService images;

    ImageEnv(Path home, UnaryOperator<ImageSettings> tweak) {
        this.home = home;
        this.msb = EmbeddedMsb.builder(home).bundles("io.msb.store", "io.msb.rootfs")
                .configure("io.msb.store", Map.of("maxConnections", 4))
                .configure("io.msb.rootfs", Map.of("defaultUpperSizeMib", 64)).start();
        this.store = msb.service(ImageStore.class);
        this.images = new OciImageService(store,
                tweak.apply(ImageSettings.defaults(home).withCredentials(List.of(), null)));
    }

    ImageEnv(Path home) {
        this(home, s -> s);
    }

    /** The rootfs bundle's root builder over this home. */
    RootfsBuilder rootfs() {
        return msb.service(RootfsBuilder.class);
    }

    /** Where the rootfs bundle caches the root disk of an image ({@code cache/images/<digest>/root.erofs}). */
    Path rootImage(String manifestDigest) {
        return home.resolve("cache/images").resolve(manifestDigest).resolve("root.erofs");
    }

    Path blob(String digest) {
        return images.blobDirectory().resolve(Digests.hex(digest));
    }

    /** Collects events for assertions. */
    static final class Events implements Consumer<PullEvent> {
        final List<PullEvent> all = new ArrayList<>();

        @Override
        public void accept(PullEvent e) {
            all.add(e);
        }

        <T extends PullEvent> List<T> of(Class<T> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    @Override
    public void close() {
        images.close();
        msb.close();
    }
}
