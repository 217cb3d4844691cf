package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.PullPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two JVMs pulling one image into one cache download each blob once (file locks), and so do two threads. */
class ConcurrentPullTest {
    private static final TestImages.Image IMAGE = TestImages.image("amd64",
            List.of(TestImages.randomFile("a.bin", 3 << 20, 1), TestImages.randomFile("b.bin", 1 << 20, 2)));

    @Test
    void twoProcessesDownloadEachBlobOnce(@TempDir Path dir, @TempDir Path home) throws Exception {
        try (RegistryFixture registry = RegistryFixture.start(dir, "");
                ConnectionDroppingProxy proxy = new ConnectionDroppingProxy(registry.port)) {
            new RegistryPusher(registry.host()).push("shared/img", "1", IMAGE);
            proxy.throttle(4 << 20); // ~1 s per layer, so the two pulls overlap
            String ref = proxy.host() + "/shared/img:1";
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<Process> children = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                children.add(new ProcessBuilder(java.toString(), "-cp", classpath, PullProcess.class.getName(),
                        home.toString(), dir.resolve("store-" + i).toString(), ref).redirectErrorStream(true).start());
            }
            for (Process p : children) {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child pull did not finish");
                assertEquals(0, p.exitValue(), out);
                assertTrue(out.contains("PULLED " + IMAGE.manifestDigest()), out);
            }
            for (TestImages.Blob layer : IMAGE.layers()) {
                long gets = proxy.requests().stream().filter(h -> h.contains("/blobs/" + layer.digest())).count();
                assertEquals(1, gets, "downloads of " + layer.digest());
                assertArrayEquals(layer.data(), Files.readAllBytes(
                        home.resolve("cache/blobs/sha256").resolve(Digests.hex(layer.digest()))));
            }
        }
    }

    @Test
    void twoThreadsShareOneDownload(@TempDir Path dir, @TempDir Path home) throws Exception {
        try (RegistryFixture registry = RegistryFixture.start(dir, "");
                ConnectionDroppingProxy proxy = new ConnectionDroppingProxy(registry.port);
                ImageEnv env = new ImageEnv(home)) {
            new RegistryPusher(registry.host()).push("shared/img", "1", IMAGE);
            proxy.throttle(8 << 20);
            String ref = proxy.host() + "/shared/img:1";
            var pulls = List.of(
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> env.images.pull(ImageReference.parse(ref), PullPolicy.ALWAYS, null)),
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> env.images.pull(ImageReference.parse(ref), PullPolicy.ALWAYS, null)));
            for (var p : pulls) {
                assertEquals(IMAGE.manifestDigest(), p.get(120, TimeUnit.SECONDS).manifestDigest());
            }
            for (TestImages.Blob layer : IMAGE.layers()) {
                assertEquals(1, proxy.requests().stream().filter(h -> h.contains("/blobs/" + layer.digest())).count());
            }
        }
    }
}
