package io.msb.image.internal;

import io.msb.api.image.PullEvent;
import io.msb.store.internal.H2Store;
import io.msb.store.internal.JdbcSandboxStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** An image service over the real H2 store, in a test's msb home; Docker's own config is never read. */
final class ImageEnv implements AutoCloseable {
    final Path home;
    final JdbcSandboxStore store;
    final OciImageService images;

    ImageEnv(Path home, UnaryOperator<ImageSettings> tweak) {
        this.home = home;
        this.store = H2Store.open(home, 4);
        this.images = new OciImageService(ImageRecords.of(store),
                tweak.apply(ImageSettings.defaults(home).withCredentials(List.of(), null)));
    }

    ImageEnv(Path home) {
        this(home, s -> s);
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
        store.close();
    }
}
