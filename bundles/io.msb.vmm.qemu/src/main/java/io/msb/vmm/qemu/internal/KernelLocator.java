package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.msb.api.MsbException;
import io.msb.api.spi.DaemonThreads;

/**
 * Finds the guest kernel: a configured path, or Debian's cloud kernel fetched by {@code fetch-kernel.sh}
 * ({@code apt-get download} + {@code dpkg-deb -x}, nothing installed on the host) into {@code kernelCache}.
 */
final class KernelLocator {
    private static final System.Logger LOG = System.getLogger(KernelLocator.class.getName());
    private static final String SCRIPT = "fetch-kernel.sh";
    private static final long REFRESH_NANOS = TimeUnit.HOURS.toNanos(1);
    /** When each kernel cache last asked apt for a newer package (System.nanoTime). */
    private static final Map<Path, Long> lastRefresh = new HashMap<>();

    private KernelLocator() {
    }

    /** A configured kernel; its modules directory may be null (then only built-in drivers are used). */
    static GuestKernel configured(Path image, Path modulesDir) {
        if (!Files.isRegularFile(image)) {
            throw new MsbException("configured kernel does not exist: " + image);
        }
        return new GuestKernel(image, modulesDir);
    }

    /**
     * Debian's {@code linux-image-cloud-amd64}: the newest complete one in {@code kernelCache}, while a background
     * refresh (at most once an hour per cache) fetches a newer package for later backend instances; only an empty
     * cache waits for the fetch. Asking apt costs ~1.8 s (decision 0800), which every new backend instance (a server
     * start, each configuration change) used to add to its first VM start.
     */
    static synchronized GuestKernel debianCloud(Path kernelCache) {
        Path key = kernelCache.toAbsolutePath();
        Optional<Path> cached = newestComplete(kernelCache);
        Long last = lastRefresh.get(key);
        if (cached.isPresent() && last != null && System.nanoTime() - last <= REFRESH_NANOS) {
            return unpacked(cached.get());
        }
        lastRefresh.put(key, System.nanoTime());
        if (cached.isEmpty()) {
            return unpacked(fetch(kernelCache));
        }
        DaemonThreads.start("msb-kernel-refresh", () -> refresh(kernelCache));
        return unpacked(cached.get());
    }

    private static void refresh(Path kernelCache) {
        try {
            Path dir = fetch(kernelCache);
            LOG.log(Level.DEBUG, "Debian cloud kernel up to date: {0}", dir);
        } catch (MsbException | UncheckedIOException e) {
            // offline, apt broken, or another process refreshing the same cache: the cached kernel stays in use
            LOG.log(Level.WARNING, "cannot refresh the Debian cloud kernel ({0}); using the cached one",
                    e.getMessage());
        }
    }

    /** The kernel inside a directory produced by fetch-kernel.sh. */
    static GuestKernel unpacked(Path dir) {
        Path image = image(dir);
        if (!Files.isRegularFile(image)) {
            throw new MsbException("guest kernel is missing: " + image + " (remove " + dir + " to have it fetched again)");
        }
        String release = image.getFileName().toString().substring("vmlinuz-".length());
        Path modules = dir.resolve("lib/modules").resolve(release);
        return new GuestKernel(image, Files.isDirectory(modules) ? modules : null);
    }

    /**
     * The image the newest complete fetch in {@code kernelCache} holds, whether or not it is still there; empty when
     * nothing was fetched yet. Fetches nothing.
     */
    static Optional<Path> cachedImage(Path kernelCache) {
        return newestComplete(kernelCache).map(KernelLocator::image);
    }

    /** fetch-kernel.sh unpacks {@code linux-image-<release>} version v into {@code linux-image-<release>_<v>}. */
    private static Path image(Path dir) {
        String name = dir.getFileName().toString();
        String pkg = name.contains("_") ? name.substring(0, name.indexOf('_')) : name;
        return dir.resolve("boot").resolve("vmlinuz-" + pkg.substring(Math.min(pkg.length(), "linux-image-".length())));
    }

    private static Path fetch(Path cache) {
        try {
            Files.createDirectories(cache);
            Path script = cache.resolve("." + SCRIPT);
            try (InputStream in = KernelLocator.class.getResourceAsStream(SCRIPT)) {
                if (in == null) {
                    throw new MsbException("resource " + SCRIPT + " is missing from the bundle");
                }
                Path tmp = Files.createTempFile(cache, ".script", ".tmp");
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, script, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Path err = Files.createTempFile(cache, ".fetch", ".log");
            try {
                Process p = new ProcessBuilder("sh", script.toString(), cache.toString())
                        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
                String out;
                try (InputStream in = p.getInputStream()) {
                    out = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
                }
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new MsbException("fetching the Debian cloud kernel took more than 10 minutes");
                }
                if (p.exitValue() != 0) {
                    throw new MsbException("fetching the Debian cloud kernel failed: "
                            + String.join(" | ", LogTail.lastLines(err, 5)));
                }
                String[] lines = out.split("\n");
                return Path.of(lines[lines.length - 1]);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the Debian cloud kernel into " + cache, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while fetching the Debian cloud kernel");
        }
    }

    private static Optional<Path> newestComplete(Path cache) {
        List<Path> done = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cache, "linux-image-*")) {
            ds.forEach(d -> {
                if (Files.isRegularFile(d.resolve(".complete"))) {
                    done.add(d);
                }
            });
        } catch (IOException e) {
            return Optional.empty();
        }
        return done.stream().max(Comparator.comparing(d -> d.toFile().lastModified()));
    }
}
