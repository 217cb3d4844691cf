package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.PullEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a RootfsBuilder present a pull ends by building the root disk; rm and prune take it away again. */
class MaterializeTest {
    @Test
    void pullBuildsTheRootDiskAndRemoveDropsIt(@TempDir Path dir, @TempDir Path home) throws Exception {
        TestImages.Image image = TestImages.oneLayer("amd64", "materialize me");
        try (RegistryFixture registry = RegistryFixture.start(dir, "");
                ImageEnv env = new ImageEnv(home)) {
            new RegistryPusher(registry.host()).push("m/img", "1", image);
            env.images.setRootfsBuilder(env.rootfs());
            ImageEnv.Events events = new ImageEnv.Events();
            ImageInfo info = env.images.pull(ImageReference.parse(registry.host() + "/m/img:1"), PullPolicy.IF_MISSING, events);

            // materializing starts while layers still download, so it is followed by progress, then Complete
            assertTrue(events.all.contains(new PullEvent.Materializing(info.manifestDigest())));
            assertInstanceOf(PullEvent.Complete.class, events.all.get(events.all.size() - 1));
            Path erofs = env.rootImage(info.manifestDigest());
            assertTrue(Files.size(erofs) > 0);

            env.images.remove(ImageReference.parse(info.reference()));
            assertFalse(Files.exists(erofs));

            env.images.pull(ImageReference.parse(registry.host() + "/m/img:1"), PullPolicy.IF_MISSING, null);
            assertTrue(Files.exists(erofs));
            env.store.deleteImage(info.reference());
            assertTrue(env.images.prune() > 0);
            assertFalse(Files.exists(erofs));
        }
    }
}
