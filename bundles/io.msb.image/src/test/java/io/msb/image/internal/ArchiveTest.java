package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives written the way older Docker versions do: {@code <id>/layer.tar} plain tars and {@code <id>.json}. */
class ArchiveTest {
    @Test
    void loadsClassicDockerSaveArchives(@TempDir Path home, @TempDir Path dir) throws Exception {
        ByteArrayOutputStream layer = new ByteArrayOutputStream();
        try (Tar.Writer w = new Tar.Writer(layer)) {
            w.file("etc/motd", "classic\n".getBytes(StandardCharsets.UTF_8));
        }
        String diffId = Digests.of(layer.toByteArray());
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/true\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
        String manifest = "[{\"Config\":\"cafe.json\",\"RepoTags\":[\"old/style:1\",\"old/style:latest\"],"
                + "\"Layers\":[\"0123/layer.tar\"]}]";
        Path archive = dir.resolve("classic.tar");
        try (Tar.Writer w = new Tar.Writer(Files.newOutputStream(archive))) {
            w.file("0123/layer.tar", layer.toByteArray());
            w.file("cafe.json", config.getBytes(StandardCharsets.UTF_8));
            w.file("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
            w.file("repositories", "{}".getBytes(StandardCharsets.UTF_8));
        }
        try (ImageEnv env = new ImageEnv(home)) {
            List<ImageInfo> loaded = env.images.load(archive);
            assertEquals(List.of("docker.io/old/style:1", "docker.io/old/style:latest"),
                    loaded.stream().map(ImageInfo::reference).toList());
            ImageInfo info = loaded.get(0);
            assertEquals(diffId, info.layers().get(0).digest()); // an uncompressed layer is its own diff
            assertEquals(Manifests.OCI_LAYER, info.layers().get(0).mediaType());
            assertEquals(List.of("/bin/true"), info.config().cmd());
            assertEquals(info, env.images.pull(ImageReference.parse("old/style:1"), PullPolicy.NEVER, null));
            assertEquals(2, env.store.listImages().size());

            // a manifest.json naming a layer the archive lacks is refused by name
            Path broken = dir.resolve("broken.tar");
            try (Tar.Writer w = new Tar.Writer(Files.newOutputStream(broken))) {
                w.file("cafe.json", config.getBytes(StandardCharsets.UTF_8));
                w.file("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
            }
            MsbException e = assertThrows(MsbException.class, () -> env.images.load(broken));
            assertTrue(e.getMessage().contains("Layers names a missing entry '0123/layer.tar'"), e.getMessage());
        }
    }
}
