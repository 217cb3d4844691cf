package io.msb.volume.internal;

import io.msb.api.MsbException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Disk volumes' images: a sparse file of the capacity formatted by {@code mkfs.ext4 -F -q} (e2fsprogs), and the bytes
 * an image really occupies ({@code du}: its allocated blocks).
 */
final class DiskImages {
    private static final long MKFS_TIMEOUT_SECONDS = 120;
    private final String mkfs;

    DiskImages(String mkfs) {
        this.mkfs = locate(mkfs);
    }

    /** A bare program name found in PATH, /usr/sbin or /sbin (mkfs is often outside a user's PATH). */
    static String locate(String program) {
        if (program.contains("/")) {
            return program;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program).toString();
            }
        }
        return program;
    }

    void create(Path image, int capacityMib) {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength((long) capacityMib << 20);
        } catch (IOException e) {
            throw new MsbException("cannot create the disk image " + image + ": " + e.getMessage(), e);
        }
        run(List.of(mkfs, "-F", "-q", "-E", "root_owner=0:0", image.toString()), "format " + image);
    }

    /** Allocated bytes of the image, or its length when {@code du} cannot tell. */
    static long allocated(Path image) {
        try {
            Process p = new ProcessBuilder("du", "-B1", "--", image.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Long.parseLong(out.split("\\s+")[0]);
            }
        } catch (IOException | NumberFormatException e) {
            // fall back below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            return Files.size(image);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(MKFS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new MsbException("cannot " + what + ": " + command.get(0) + " did not finish in "
                        + MKFS_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new MsbException("cannot " + what + ": " + command.get(0) + " exited " + p.exitValue()
                        + (out.isEmpty() ? "" : ": " + out));
            }
        } catch (IOException e) {
            throw new MsbException("cannot " + what + ": " + command.get(0) + " cannot run (is e2fsprogs "
                    + "installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("cannot " + what + ": interrupted", e);
        }
    }
}
