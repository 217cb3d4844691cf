package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs the real host tools the tests check against; skips a test when one is absent. */
final class Tools {
    private Tools() {
    }

    static Path require(String name) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        assumeTrue(false, name + " is not installed (apt-get install " + (name.contains("erofs") ? "erofs-utils" : "e2fsprogs") + ")");
        return null;
    }

    record Result(int exit, String output) {
    }

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    /** fsck.erofs must accept the image; then it extracts it into {@code into}. */
    static void fsckAndExtract(Path image, Path into) throws IOException, InterruptedException {
        String fsck = require("fsck.erofs").toString();
        Result r = run(fsck, image.toString());
        org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), "fsck.erofs rejected the image:\n" + r.output());
        r = run(fsck, "--extract=" + into, "--preserve", image.toString());
        org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), "fsck.erofs --extract failed:\n" + r.output());
    }

    /** A loop mount of a test image, unmounted on close; skips the test where the host cannot mount. */
    record Mount(Path path) implements AutoCloseable {
        @Override
        public void close() throws IOException, InterruptedException {
            run("umount", path.toString());
        }
    }

    /** Mounts {@code image} (type {@code fs}, loop, with {@code options}) on {@code dir}, made here. */
    static Mount mount(String fs, String options, Path image, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Result r = run("mount", "-t", fs, "-o", "loop," + options, image.toString(), dir.toString());
        assumeTrue(r.exit() == 0, "cannot mount " + fs + " here (needs root, loop devices and " + fs
                + " in the kernel): " + r.output());
        return new Mount(dir);
    }
}
