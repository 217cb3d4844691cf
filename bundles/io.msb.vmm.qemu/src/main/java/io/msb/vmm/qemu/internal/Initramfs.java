package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import io.msb.api.MsbException;

/**
 * Builds the initramfs: the given program as {@code /init} plus the kernel modules it must load, as
 * {@code /lib/modules/<name>.ko} and {@code /lib/modules/load.list} (one file name a line, in load order; an
 * empty line between groups that share no module and may load at the same time).
 * That layout is the contract with agentd (decision 0802). Archives are cached under their SHA-256.
 */
final class Initramfs {
    /**
     * What every sandbox needs from a modular kernel: the virtio-mmio transport, console, disks, filesystems, and
     * the balloon whose free page reporting gives freed guest memory back to the host (decision 1913).
     */
    static final List<String> GUEST_MODULES = List.of("virtio_mmio", "virtio_console", "virtio_blk", "overlay",
            "erofs", "virtio_balloon");
    /** Only for a VM with a network device: loading them costs every other boot time for nothing. */
    static final List<String> NETWORK_MODULES = List.of("virtio_net");
    /** Only for a VM with shares (decision 1202), loaded by agentd when a 9p mount asks: fetch-kernel.sh builds them. */
    static final List<String> SHARE_MODULES = List.of("9p", "9pnet_virtio");
    static final String LOAD_LIST = "lib/modules/load.list";
    /** agentd loads these, in order, only before its first 9p mount. */
    static final String SHARE_LOAD_LIST = "lib/modules/9p.list";
    private static final long MAX_INIT_BYTES = 64L << 20;
    /** Changes whenever {@link #archive} lays the archive out differently, so old input references go stale. */
    private static final String FORMAT = "msb-initramfs-1";
    private static final java.util.regex.Pattern ARCHIVE_NAME = java.util.regex.Pattern.compile("[0-9a-f]{64}\\.cpio");

    private Initramfs() {
    }

    /** The archive bytes; {@code modules} may be null for a kernel with everything built in. */
    static byte[] archive(byte[] init, KernelModules modules, List<String> wanted) {
        return archive(init, modules, wanted, List.of());
    }

    /**
     * @param onDemand modules listed in {@value #SHARE_LOAD_LIST} instead (dependencies first, those already in
     *        the load list left out), loaded by agentd only when a mount needs them
     */
    static byte[] archive(byte[] init, KernelModules modules, List<String> wanted, List<String> onDemand) {
        if (init.length == 0 || init.length > MAX_INIT_BYTES) {
            throw new MsbException("init program must have 1 to " + MAX_INIT_BYTES + " bytes, has " + init.length);
        }
        Cpio cpio = new Cpio();
        for (String d : List.of("dev", "proc", "sys", "run", "tmp", "lib", "lib/modules")) {
            cpio.directory(d, 0755);
        }
        // The kernel opens /dev/console for init's stdio before anything is mounted.
        cpio.charDevice("dev/console", 0600, 5, 1);
        cpio.file("init", 0755, init);
        StringBuilder list = new StringBuilder();
        if (modules != null) {
            boolean unsigned = ModuleSignatures.optional(modules.directory());
            for (List<String> group : modules.loadGroups(wanted)) {
                if (!list.isEmpty()) {
                    list.append('\n'); // an empty line: the next group shares nothing with this one
                }
                for (String name : group) {
                    byte[] ko = modules.contents(name);
                    cpio.file("lib/modules/" + name + ".ko", 0644, unsigned ? ModuleSignatures.strip(ko) : ko);
                    list.append(name).append(".ko\n");
                }
            }
        }
        cpio.file(LOAD_LIST, 0644, list.toString().getBytes(StandardCharsets.US_ASCII));
        if (modules != null && !onDemand.isEmpty()) {
            java.util.Set<String> loaded = new java.util.HashSet<>(modules.loadOrder(wanted));
            StringBuilder later = new StringBuilder();
            boolean unsigned = ModuleSignatures.optional(modules.directory());
            for (String name : modules.loadOrder(onDemand)) {
                if (loaded.add(name)) {
                    byte[] ko = modules.contents(name);
                    cpio.file("lib/modules/" + name + ".ko", 0644, unsigned ? ModuleSignatures.strip(ko) : ko);
                    later.append(name).append(".ko\n");
                }
            }
            cpio.file(SHARE_LOAD_LIST, 0644, later.toString().getBytes(StandardCharsets.US_ASCII));
        }
        return cpio.finish();
    }

    /**
     * Builds (or reuses) the archive for {@code init} and returns its path in {@code cacheDir}. Archives are named by
     * their content; a small file under {@code inputs/}, named by a hash of what goes in (the init program, the
     * modules directory and its index files' sizes and times, the wanted modules), points at the archive, so that a
     * new backend instance (after a start or a configuration change) finds it without decompressing every module
     * again (~2 s under load).
     *
     * @param modulesDir {@code lib/modules/<release>}, or null for a kernel with everything built in
     */
    static Path build(byte[] init, Path modulesDir, List<String> wanted, Path cacheDir) {
        return build(init, modulesDir, wanted, List.of(), cacheDir);
    }

    /** As {@link #build(byte[], Path, List, Path)}, with modules agentd loads only on demand (see {@link #archive}). */
    static Path build(byte[] init, Path modulesDir, List<String> wanted, List<String> onDemand, Path cacheDir) {
        try {
            List<String> all = new java.util.ArrayList<>(wanted);
            onDemand.forEach(m -> all.add("ondemand:" + m));
            Path ref = cacheDir.resolve("inputs").resolve(inputKey(init, modulesDir, all));
            Path known = known(ref, cacheDir);
            if (known != null) {
                return known;
            }
            KernelModules modules = modulesDir == null ? null : KernelModules.open(modulesDir);
            byte[] bytes = archive(init, modules, wanted, onDemand);
            Path target = cacheDir.resolve(sha256(bytes) + ".cpio");
            if (!Files.isRegularFile(target)) {
                // QEMU may run as another user
                writeAtomically(cacheDir, bytes, target, true);
            }
            writeAtomically(ref.getParent(), target.getFileName().toString().getBytes(StandardCharsets.US_ASCII),
                    ref, false);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the initramfs in " + cacheDir, e);
        }
    }

    /** The archive {@code ref} points at, or null when there is no such reference or archive. */
    private static Path known(Path ref, Path cacheDir) throws IOException {
        if (!Files.isRegularFile(ref) || Files.size(ref) > 80) {
            return null;
        }
        String name = Files.readString(ref, StandardCharsets.US_ASCII).trim();
        Path target = cacheDir.resolve(name);
        return ARCHIVE_NAME.matcher(name).matches() && Files.isRegularFile(target) ? target : null;
    }

    private static void writeAtomically(Path dir, byte[] bytes, Path target, boolean worldReadable)
            throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".initramfs", ".tmp");
        Files.write(tmp, bytes);
        if (worldReadable) {
            tmp.toFile().setReadable(true, false);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String inputKey(byte[] init, Path modulesDir, List<String> wanted) throws IOException {
        StringBuilder in = new StringBuilder(FORMAT).append('\n').append(sha256(init)).append('\n');
        if (modulesDir != null) {
            in.append(modulesDir.toAbsolutePath()).append('\n');
            // depmod rewrites modules.dep whenever the modules change
            // extra/ (modules built after packaging) changes without depmod
            for (String index : List.of("modules.dep", "modules.builtin", KernelModules.EXTRA)) {
                Path f = modulesDir.resolve(index);
                in.append(index).append(Files.isRegularFile(f)
                        ? " " + Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis() : " absent").append('\n');
            }
        }
        in.append(String.join(",", wanted));
        return sha256(in.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
