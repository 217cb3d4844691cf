package io.msb.image.internal;

import io.msb.api.MsbException;
import io.msb.api.image.ImageNotFoundException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Images the service makes itself, so that a sandbox runs with no registry. {@code builtin:busybox} is one layer
 * holding Debian's {@code busybox-static} binary, its applet links, {@code /etc/passwd} and {@code /etc/group}.
 * The package is fetched like the guest kernel ({@code apt-get download} + {@code dpkg-deb -x}, nothing installed on
 * the host) into {@code $MSB_HOME/cache/builtin}; the layer is written deterministically (root-owned, mtime 0).
 */
final class BuiltinImages {
    static final String PREFIX = "builtin:";
    static final String BUSYBOX = PREFIX + "busybox";
    static final String PATH_ENV = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    /** A busybox applet path as {@code --list-full} prints it: relative, plain characters, no "..". */
    private static final Pattern APPLET = Pattern.compile("(?:usr/)?s?bin/[A-Za-z0-9_.\\[-]{1,64}");
    private static final int MAX_APPLETS = 1000;
    private static final long MAX_BINARY = 16 << 20;
    private static final List<String> DIRS = List.of("bin", "dev", "etc", "proc", "run", "sbin", "sys", "usr",
            "usr/bin", "usr/sbin", "var");
    private static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    private static final String GROUP = "root:x:0:\nnogroup:x:65534:\n";

    /** The blobs of a built image, already in the cache. */
    record Built(String manifestDigest, Manifests.ImageManifest manifest, Manifests.Config config) {
    }

    private final Path dir;
    private final BlobCache cache;

    BuiltinImages(Path dir, BlobCache cache) {
        this.dir = dir;
        this.cache = cache;
    }

    /** Refuses a builtin name this service cannot make. */
    static void requireKnown(String key) {
        if (!key.equals(BUSYBOX)) {
            throw new ImageNotFoundException("image", key + " (the builtin images are: " + BUSYBOX + ")");
        }
    }

    /** Builds the image's blobs into the cache. One build at a time: a second caller finds the first's record. */
    synchronized Built build(String key) {
        requireKnown(key);
        try {
            Path busybox = busyboxBinary();
            byte[] layer = busyboxLayer(busybox, applets(busybox));
            String layerDigest = cache.putBytes(layer);
            Map<String, Object> runtime = new LinkedHashMap<>();
            runtime.put("Env", List.of(PATH_ENV));
            runtime.put("Cmd", List.of("/bin/sh"));
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("architecture", "amd64");
            config.put("os", "linux");
            config.put("config", runtime);
            config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(layerDigest)));
            byte[] configJson = Manifests.toJson(config).getBytes(StandardCharsets.UTF_8);
            String configDigest = cache.putBytes(configJson);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", Manifests.OCI_MANIFEST);
            manifest.put("config", descriptor(Manifests.OCI_CONFIG, configDigest, configJson.length));
            manifest.put("layers", List.of(descriptor(Manifests.OCI_LAYER, layerDigest, layer.length)));
            byte[] manifestJson = Manifests.toJson(manifest).getBytes(StandardCharsets.UTF_8);
            String manifestDigest = cache.putBytes(manifestJson);
            return new Built(manifestDigest,
                    (Manifests.ImageManifest) Manifests.parse(manifestJson, Manifests.OCI_MANIFEST),
                    Manifests.parseConfig(configJson));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build " + key, e);
        }
    }

    private static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    static byte[] busyboxLayer(Path busybox, Set<String> applets) throws IOException {
        long size = Files.size(busybox);
        if (size > MAX_BINARY) {
            throw new MsbException(busybox + " is larger than " + MAX_BINARY + " bytes; not a busybox binary");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) size + (1 << 20));
        try (Tar.Writer tar = new Tar.Writer(bytes); InputStream in = Files.newInputStream(busybox)) {
            for (String d : DIRS) {
                tar.directory(d + "/", 0755);
            }
            tar.directory("root/", 0700);
            tar.directory("tmp/", 01777);
            tar.directory("var/tmp/", 01777);
            tar.file("bin/busybox", 0755, size, in);
            for (String applet : applets) {
                if (!applet.equals("bin/busybox")) {
                    tar.symlink(applet, "/bin/busybox");
                }
            }
            tar.file("etc/passwd", PASSWD.getBytes(StandardCharsets.US_ASCII));
            tar.file("etc/group", GROUP.getBytes(StandardCharsets.US_ASCII));
        }
        return bytes.toByteArray();
    }

    /** The applets' install paths from {@code busybox --list-full}; each line is checked before it becomes a link. */
    static Set<String> applets(Path busybox) {
        String out = run(List.of(busybox.toString(), "--list-full"), "busybox --list-full", 1 << 20);
        Set<String> applets = new TreeSet<>();
        for (String line : out.split("\n")) {
            String a = line.trim();
            if (a.isEmpty() || a.equals("linuxrc")) {
                continue; // agentd is the guest's init: no /linuxrc
            }
            if (!APPLET.matcher(a).matches()) {
                throw new MsbException("busybox --list-full printed an unexpected applet path: '" + a + "'");
            }
            applets.add(a);
        }
        if (applets.isEmpty() || applets.size() > MAX_APPLETS || !applets.contains("bin/sh")) {
            throw new MsbException("busybox --list-full listed " + applets.size() + " applets (expected 1–"
                    + MAX_APPLETS + ", including bin/sh)");
        }
        return applets;
    }

    /** {@code busybox-static}'s binary, unpacked once under {@code dir}. */
    Path busyboxBinary() throws IOException {
        Path unpacked = dir.resolve("busybox-static");
        Path binary = unpacked.resolve("bin/busybox");
        if (Files.isRegularFile(unpacked.resolve(".complete")) && Files.isRegularFile(binary)) {
            return binary;
        }
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, ".fetch");
        try {
            run(List.of("sh", "-c", "cd \"$1\" && apt-get download -q busybox-static >&2", "sh", work.toString()),
                    "apt-get download busybox-static", 4096);
            List<Path> debs = new ArrayList<>();
            try (var ds = Files.newDirectoryStream(work, "*.deb")) {
                ds.forEach(debs::add);
            }
            if (debs.size() != 1) {
                throw new MsbException("apt-get download busybox-static left " + debs.size() + " .deb files in " + work);
            }
            Path root = work.resolve("root");
            run(List.of("dpkg-deb", "-x", debs.get(0).toString(), root.toString()), "dpkg-deb -x busybox-static", 4096);
            if (!Files.isRegularFile(root.resolve("bin/busybox"))) {
                throw new MsbException("busybox-static package has no bin/busybox");
            }
            Files.createFile(root.resolve(".complete"));
            try {
                Files.move(root, unpacked, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // Another process unpacked it meanwhile: keep that copy.
                if (!Files.isRegularFile(unpacked.resolve(".complete"))) {
                    throw e;
                }
            }
            return binary;
        } finally {
            deleteTree(work);
        }
    }

    /** Runs a host tool, returning at most {@code maxOut} bytes of stdout; a failure names the tool and its stderr. */
    private static String run(List<String> command, String what, int maxOut) {
        try {
            Path err = Files.createTempFile("msb-builtin", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                byte[] out;
                try (InputStream in = p.getInputStream()) {
                    out = in.readNBytes(maxOut);
                    in.transferTo(java.io.OutputStream.nullOutputStream()); // never block the tool on a full pipe
                }
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new MsbException(what + " took more than 5 minutes");
                }
                if (p.exitValue() != 0) {
                    String tail = new String(Files.readAllBytes(err), StandardCharsets.UTF_8).trim();
                    throw new MsbException(what + " failed (exit " + p.exitValue() + "): "
                            + tail.substring(Math.max(0, tail.length() - 400)));
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new MsbException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException(what + " was interrupted");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
