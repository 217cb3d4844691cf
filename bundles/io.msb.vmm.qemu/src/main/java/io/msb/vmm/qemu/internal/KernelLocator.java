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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
 * Finds the guest kernel: a configured path, msb's own kernel built by {@code build-kernel.sh} from
 * {@code msb-kernel.config} (decision 1900), or Debian's cloud kernel fetched by {@code fetch-kernel.sh}
 * ({@code apt-get download} + {@code dpkg-deb -x}, nothing installed on the host) into {@code kernelCache}.
 */
final class KernelLocator {
    private static final System.Logger LOG = System.getLogger(KernelLocator.class.getName());
    private static final String SCRIPT = "fetch-kernel.sh";
    static final String BUILD_SCRIPT = "build-kernel.sh";
    static final String FRAGMENT = "msb-kernel.config";
    /** The bzImage inside a build directory of build-kernel.sh. */
    static final String MSB_IMAGE = "bzImage";
    private static final long BUILD_TIMEOUT_MINUTES = 180;
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

    /**
     * The first 12 hex digits of sha256(fragment + build script) as this bundle carries them: build-kernel.sh names
     * its output after the same hash, so only a build of exactly this configuration is booted.
     */
    static String buildHash() {
        return BuildHash.VALUE;
    }

    /** Computed once: the resources do not change while the bundle runs, and health checks ask every few seconds. */
    private static final class BuildHash {
        static final String VALUE = compute();

        private static String compute() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(resource(FRAGMENT));
                sha.update(resource(BUILD_SCRIPT));
                return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The newest complete build of the current fragment in {@code kernelCache}; builds nothing. */
    static Optional<Path> msbBuild(Path kernelCache) {
        return newestComplete(kernelCache, "msb-*-" + buildHash());
    }

    /** The kernel of a build-kernel.sh output directory: everything built in, so no modules directory. */
    static GuestKernel msb(Path dir) {
        Path image = dir.resolve(MSB_IMAGE);
        if (!Files.isRegularFile(image)) {
            throw new MsbException("msb guest kernel is missing: " + image + " (remove " + dir
                    + " and run `msb-server kernel build`)");
        }
        return new GuestKernel(image, null);
    }

    /**
     * Builds msb's kernel into {@code kernelCache} with build-kernel.sh at {@code nice 19} (a complete build is
     * reused) and returns its directory; a failure names the reason and the last lines of the build log.
     */
    static Path build(Path kernelCache) {
        Path dir = kernelCache.resolve(".msb-build");
        try {
            Files.createDirectories(dir);
            write(dir.resolve(FRAGMENT), resource(FRAGMENT));
            Path script = dir.resolve(BUILD_SCRIPT);
            write(script, resource(BUILD_SCRIPT));
            return run(List.of("nice", "-n", "19", "sh", script.toString(), kernelCache.toString()), kernelCache,
                    BUILD_TIMEOUT_MINUTES, "building the msb guest kernel", 20);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the msb guest kernel into " + kernelCache, e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = KernelLocator.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new MsbException("resource " + name + " is missing from the bundle");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    /** Replaces {@code target} atomically: another process may be running the previous copy. */
    private static void write(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".script", ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path fetch(Path cache) {
        try {
            Files.createDirectories(cache);
            Path script = cache.resolve("." + SCRIPT);
            write(script, resource(SCRIPT));
            return run(List.of("sh", script.toString(), cache.toString()), cache, 10,
                    "fetching the Debian cloud kernel", 5);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the Debian cloud kernel into " + cache, e);
        }
    }

    /** Runs a kernel script that prints its result directory last; its stderr's tail is the reason it failed. */
    private static Path run(List<String> command, Path cache, long timeoutMinutes, String what, int errorLines)
            throws IOException {
        Path err = Files.createTempFile(cache, ".kernel", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new MsbException(what + " took more than " + timeoutMinutes + " minutes");
            }
            if (p.exitValue() != 0 || out.isEmpty()) {
                throw new MsbException(what + " failed: " + String.join(" | ", LogTail.lastLines(err, errorLines)));
            }
            String[] lines = out.split("\n");
            return Path.of(lines[lines.length - 1]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while " + what);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static Optional<Path> newestComplete(Path cache) {
        return newestComplete(cache, "linux-image-*");
    }

    private static Optional<Path> newestComplete(Path cache, String glob) {
        List<Path> done = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cache, glob)) {
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
