package io.msb.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A test image pushed to a local registry with Debian's umoci and skopeo: one layer per size given, each a file of
 * random (incompressible) bytes, so a pull moves about that many bytes and reports progress for each layer.
 */
final class RegistryImage {
    private RegistryImage() {
    }

    /** Builds the image under {@code dir} and pushes it as {@code host/repoTag}; returns that reference. */
    static String push(Path dir, String host, String repoTag, long... layerBytes) throws IOException, InterruptedException {
        Path layout = dir.resolve("layout");
        run(dir, "umoci", "init", "--layout", layout.toString());
        run(dir, "umoci", "new", "--image", layout + ":t");
        Random random = new Random(layerBytes.length);
        for (int i = 0; i < layerBytes.length; i++) {
            byte[] data = new byte[(int) layerBytes[i]];
            random.nextBytes(data);
            Path file = Files.write(dir.resolve("layer" + i + ".bin"), data);
            run(dir, "umoci", "insert", "--rootless", "--image", layout + ":t", file.toString(), "/layer" + i + ".bin");
        }
        String ref = host + "/" + repoTag;
        run(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":t", "docker://" + ref);
        return ref;
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Path log = dir.resolve("command.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", List.of(command)) + " failed: " + Files.readString(log));
        }
    }
}
