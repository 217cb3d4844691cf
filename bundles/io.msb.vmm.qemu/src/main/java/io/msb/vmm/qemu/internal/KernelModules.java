package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.msb.api.MsbException;

/**
 * The loadable modules of one kernel ({@code lib/modules/<release>}): which exist, which are built in, and
 * what each depends on. Dependencies come from {@code modules.dep} when depmod has run, else from each
 * module's own {@code .modinfo} section (a kernel package unpacked without installing has no modules.dep).
 */
final class KernelModules {
    private static final long MAX_MODULE_BYTES = 64L << 20;
    /** Modules built for the kernel after it was packaged (fetch-kernel.sh's 9p), which modules.dep does not list. */
    static final String EXTRA = "extra";

    private final Path dir;
    private final Map<String, Path> files = new HashMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, List<String>> depsFromIndex;
    /** Without modules.dep, each module's own modinfo: read once, however many closures need it. */
    private final Map<String, List<String>> depsFromModinfo = new HashMap<>();

    private KernelModules(Path dir) throws IOException {
        this.dir = dir;
        // Followed links: a modules tree may be assembled from links to another.
        for (String tree : List.of("kernel", EXTRA)) {
            if (!Files.isDirectory(dir.resolve(tree))) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir.resolve(tree), java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
                walk.filter(p -> moduleName(p) != null).forEach(p -> files.putIfAbsent(moduleName(p), p));
            }
        }
        Path builtinList = dir.resolve("modules.builtin");
        if (Files.isRegularFile(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                String name = moduleName(Path.of(line.trim()));
                if (name != null) {
                    builtin.add(name);
                }
            }
        }
        Path dep = dir.resolve("modules.dep");
        depsFromIndex = Files.isRegularFile(dep) ? parseModulesDep(Files.readAllLines(dep)) : null;
    }

    static KernelModules open(Path modulesDir) {
        if (!Files.isDirectory(modulesDir.resolve("kernel"))) {
            throw new MsbException("kernel modules directory has no kernel/ subdirectory: " + modulesDir);
        }
        try {
            return new KernelModules(modulesDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel modules in " + modulesDir, e);
        }
    }

    /** {@code virtio-rng.ko.xz} → {@code virtio_rng}; null when the path is not a module. */
    static String moduleName(Path p) {
        String f = p.getFileName() == null ? "" : p.getFileName().toString();
        for (String ext : List.of(".ko", ".ko.xz", ".ko.zst", ".ko.gz")) {
            if (f.endsWith(ext) && f.length() > ext.length()) {
                return f.substring(0, f.length() - ext.length()).replace('-', '_');
            }
        }
        return null;
    }

    /** {@code lib/modules/<release>}. */
    Path directory() {
        return dir;
    }

    /** Whether the module exists as a file (not built in). */
    boolean has(String name) {
        return files.containsKey(normalize(name));
    }

    boolean isBuiltin(String name) {
        return builtin.contains(normalize(name));
    }

    Path file(String name) {
        return files.get(normalize(name));
    }

    /**
     * The modules to load for {@code wanted}, dependencies before dependents, skipping built-in ones.
     *
     * @throws MsbException naming the module when one is neither loadable nor built in
     */
    List<String> loadOrder(List<String> wanted) {
        LinkedHashSet<String> order = new LinkedHashSet<>();
        for (String w : wanted) {
            visit(normalize(w), order, new HashSet<>(), w);
        }
        return List.copyOf(order);
    }

    /**
     * {@link #loadOrder} split into groups that share no module, so that they can load at the same time: wanted
     * modules with a common dependency end up in one group. Groups come in the order of their first wanted module.
     */
    List<List<String>> loadGroups(List<String> wanted) {
        List<Set<String>> members = new ArrayList<>();
        List<List<String>> roots = new ArrayList<>();
        for (String w : wanted) {
            Set<String> closure = new HashSet<>(loadOrder(List.of(w)));
            if (closure.isEmpty()) {
                continue; // built in
            }
            List<String> mine = new ArrayList<>(List.of(w));
            for (int g = members.size() - 1; g >= 0; g--) {
                if (!Collections.disjoint(members.get(g), closure)) {
                    closure.addAll(members.remove(g));
                    mine.addAll(roots.remove(g));
                }
            }
            mine.sort(Comparator.comparingInt(wanted::indexOf));
            members.add(closure);
            roots.add(mine);
        }
        roots.sort(Comparator.comparingInt(r -> wanted.indexOf(r.get(0))));
        return roots.stream().map(this::loadOrder).toList();
    }

    private void visit(String name, LinkedHashSet<String> order, Set<String> path, String root) {
        if (order.contains(name) || builtin.contains(name)) {
            return;
        }
        if (!files.containsKey(name)) {
            throw new MsbException("kernel module " + name + " (needed by " + root + ") is neither in "
                    + dir.resolve("kernel") + " nor in modules.builtin");
        }
        if (!path.add(name)) {
            throw new MsbException("kernel module dependency cycle through " + name);
        }
        for (String dep : dependencies(name)) {
            visit(dep, order, path, root);
        }
        path.remove(name);
        order.add(name);
    }

    List<String> dependencies(String name) {
        name = normalize(name);
        if (depsFromIndex != null && depsFromIndex.containsKey(name)) {
            return depsFromIndex.get(name);
        }
        return depsFromModinfo.computeIfAbsent(name, this::modinfoDependencies);
    }

    private List<String> modinfoDependencies(String name) {
        String depends = modinfo(contents(name)).getOrDefault("depends", "");
        List<String> out = new ArrayList<>();
        for (String d : depends.split(",")) {
            if (!d.isBlank()) {
                out.add(normalize(d.trim()));
            }
        }
        return List.copyOf(out);
    }

    /** The module's ELF image, decompressed with the host's xz/zstd/gzip when the kernel ships it compressed. */
    byte[] contents(String name) {
        Path p = files.get(normalize(name));
        if (p == null) {
            throw new MsbException("no kernel module " + name + " in " + dir);
        }
        try {
            if (Files.size(p) > MAX_MODULE_BYTES) {
                throw new MsbException("kernel module " + p + " is larger than " + MAX_MODULE_BYTES + " bytes");
            }
            String f = p.getFileName().toString();
            if (f.endsWith(".ko")) {
                return Files.readAllBytes(p);
            }
            String tool = f.endsWith(".xz") ? "xz" : f.endsWith(".zst") ? "zstd" : "gzip";
            return decompress(tool, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel module " + p, e);
        }
    }

    private static byte[] decompress(String tool, Path p) throws IOException {
        Process proc = new ProcessBuilder(tool, "-dc", p.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        byte[] data;
        try (InputStream in = proc.getInputStream()) {
            data = in.readNBytes((int) MAX_MODULE_BYTES + 1);
        }
        try {
            if (!proc.waitFor(60, TimeUnit.SECONDS) || proc.exitValue() != 0 || data.length > MAX_MODULE_BYTES) {
                proc.destroyForcibly();
                throw new MsbException("cannot decompress kernel module " + p + " with " + tool);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while decompressing " + p);
        }
        return data;
    }

    static Map<String, List<String>> parseModulesDep(List<String> lines) {
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            List<String> ds = new ArrayList<>();
            for (String d : line.substring(colon + 1).trim().split("\\s+")) {
                String n = moduleName(Path.of(d));
                if (n != null) {
                    ds.add(n);
                }
            }
            // modules.dep lists the full closure; the direct-vs-indirect distinction does not matter for order.
            deps.put(moduleName(Path.of(line.substring(0, colon))), ds);
        }
        return deps;
    }

    /** The key=value strings of an ELF64 module's {@code .modinfo} section. */
    static Map<String, String> modinfo(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
            throw new MsbException("kernel module is not a little-endian ELF64 file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
        if (shentsize < 64 || shstrndx >= shnum || shoff < 0 || shoff + (long) shnum * shentsize > elf.length) {
            throw new MsbException("kernel module has a malformed ELF section table");
        }
        long[] strtab = section(b, shoff + (long) shstrndx * shentsize, elf.length);
        for (int i = 0; i < shnum; i++) {
            long hdr = shoff + (long) i * shentsize;
            long nameOff = strtab[0] + Integer.toUnsignedLong(b.getInt((int) hdr));
            if (nameOff >= strtab[0] + strtab[1] || !".modinfo".equals(cString(elf, (int) nameOff))) {
                continue;
            }
            long[] s = section(b, hdr, elf.length);
            Map<String, String> info = new HashMap<>();
            for (String kv : new String(elf, (int) s[0], (int) s[1], StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    info.putIfAbsent(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return info;
        }
        throw new MsbException("kernel module has no .modinfo section");
    }

    private static long[] section(ByteBuffer b, long hdr, int fileLength) {
        long off = b.getLong((int) hdr + 24);
        long size = b.getLong((int) hdr + 32);
        if (off < 0 || size < 0 || off + size > fileLength) {
            throw new MsbException("kernel module section lies outside the file");
        }
        return new long[] {off, size};
    }

    private static String cString(byte[] data, int off) {
        int end = off;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, off, end - off, StandardCharsets.UTF_8);
    }

    private static String normalize(String name) {
        return name.replace('-', '_');
    }
}
