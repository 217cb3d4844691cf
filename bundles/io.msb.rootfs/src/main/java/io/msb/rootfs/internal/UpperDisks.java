package io.msb.rootfs.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.spi.RootfsPatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Writable per-sandbox upper disks: a sparse ext4 file made by {@code mke2fs} holding {@code upper/} and
 * {@code work/} for the guest's overlayfs (the layout microsandbox's agent mounts), and patches written
 * into {@code upper/} with {@code debugfs -w}, so neither needs root or a mount. A removal becomes an
 * overlayfs whiteout (a 0:0 character device) because the path may exist in the read-only lower image.
 * With a template directory, each size and root directory is formatted once and every create copies that file
 * sparsely (decision 1930): one {@code cp} instead of {@code mke2fs} and {@code debugfs} on each create.
 */
public final class UpperDisks {
    public static final int MIN_SIZE_MIB = 16;
    public static final int MAX_SIZE_MIB = 16 * 1024 * 1024;
    static final String UPPER = "/upper";
    /** Names the template layout and mke2fs options below: a change of either must change it, so old templates go unused. */
    static final String TEMPLATE_FORMAT = "upper1";
    private static final long TIMEOUT_S = 120;

    private final String mke2fs;
    private final String debugfs;
    private final Path templates;

    /** Formats every upper afresh. */
    public UpperDisks(String mke2fs, String debugfs) {
        this(mke2fs, debugfs, null);
    }

    /** Copies uppers from templates kept in {@code templates} (null: formats every upper afresh). */
    public UpperDisks(String mke2fs, String debugfs, Path templates) {
        this.mke2fs = mke2fs;
        this.debugfs = debugfs;
        this.templates = templates;
    }

    /** Creates the sparse ext4 file; it costs well under 1 MiB of disk until the guest writes. */
    public void create(Path file, int sizeMib) {
        create(file, sizeMib, null);
    }

    /**
     * As {@link #create(Path, int)}, with {@code upper/} taking the mode, owner and mtime of {@code lowerRoot}
     * (the image's root directory; null keeps mke2fs's 0755 root:root): the guest's {@code /} is that directory.
     */
    void create(Path file, int sizeMib, Inode lowerRoot) {
        if (sizeMib < MIN_SIZE_MIB || sizeMib > MAX_SIZE_MIB) {
            throw new InvalidConfigException("upperSizeMib", "upperSizeMib must be between " + MIN_SIZE_MIB
                    + " and " + MAX_SIZE_MIB + " MiB, got " + sizeMib);
        }
        if (templates == null) {
            format(file, sizeMib, lowerRoot);
            return;
        }
        Path template = templates.resolve(templateName(sizeMib, lowerRoot));
        if (!Files.isRegularFile(template)) {
            format(template, sizeMib, lowerRoot); // concurrent creates may both format it: the last rename wins, both are equal
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            // cp finds the template's few data blocks with SEEK_DATA/SEEK_HOLE and leaves the rest a hole, so the copy
            // stays as sparse as a fresh mke2fs (lazy_itable_init and assume_storage_prezeroed rely on the holes)
            run(List.of("cp", "--sparse=always", template.toString(), tmp.toString()));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("creating upper disk " + file + " from " + template + " failed", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** The template's file name: the format, the size and the root directory's attributes, which is all it depends on. */
    static String templateName(int sizeMib, Inode root) {
        String attrs = root == null ? "default" : Integer.toOctalString(root.mode & 07777) + "-" + root.uid + "-"
                + root.gid + "-" + root.mtime + "." + root.mtimeNsec;
        return TEMPLATE_FORMAT + "-" + sizeMib + "m-" + attrs + ".ext4";
    }

    /** mke2fs and debugfs into {@code file}, through a temporary file renamed into place when complete. */
    private void format(Path file, int sizeMib, Inode lowerRoot) {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().getId() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
                f.setLength((long) sizeMib << 20); // sparse: no blocks allocated
            }
            // no resize_inode: its reserved GDT blocks would cost ~2 MiB of real disk per sandbox;
            // lazy init + nodiscard: mke2fs writes only the few metadata blocks it must; the file is all holes,
            // so it is zeroed already: saying so marks the inode tables zeroed, and the guest kernel does not
            // start writing megabytes of zeros (ext4lazyinit) in the middle of the boot. The journal stays: the
            // upper holds the user's data (without it a guest mounts 8 ms sooner, decision 1930).
            run(List.of(mke2fs, "-t", "ext4", "-q", "-F", "-O", "^resize_inode", "-E",
                    "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,nodiscard,assume_storage_prezeroed=1",
                    "-L", "msb-upper",
                    tmp.toString()));
            List<String> cmds = new ArrayList<>(List.of("mkdir upper", "mkdir work"));
            if (lowerRoot != null) {
                cmds.addAll(rootAttributes(lowerRoot));
            }
            script(tmp, cmds);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("creating upper disk " + file + " failed", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    /** debugfs commands giving {@code upper/} the attributes of {@code root}. */
    private static List<String> rootAttributes(Inode root) {
        // ext4 keeps the low 32 bits of the seconds in mtime, and the epoch bits (33-34) and the
        // nanoseconds in mtime_extra; debugfs sets each field as given
        int low = (int) root.mtime;
        long epoch = ((root.mtime - low) >> 32) & 3;
        return List.of("sif " + UPPER + " mode 0" + Integer.toOctalString(Inode.S_IFDIR | (root.mode & 07777)),
                "sif " + UPPER + " uid " + root.uid, "sif " + UPPER + " gid " + root.gid,
                "sif " + UPPER + " mtime @" + low,
                "sif " + UPPER + " mtime_extra " + (((long) root.mtimeNsec << 2) | epoch));
    }

    /** Applies {@code patches} in order to an upper disk no VM is using. */
    public void apply(Path upper, List<RootfsPatch> patches) {
        if (!Files.isRegularFile(upper)) {
            throw new InvalidConfigException("upper", "upper must be an existing disk file: " + upper);
        }
        for (int i = 0; i < patches.size(); i++) {
            validate(patches.get(i), "patches[" + i + "]");
        }
        Path staging = null;
        try {
            staging = Files.createTempDirectory("msb-patch");
            Session s = new Session(upper, staging);
            for (RootfsPatch p : patches) {
                s.apply(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("patching " + upper + " failed", e);
        } finally {
            deleteTree(staging);
        }
    }

    static void validate(RootfsPatch p, String field) {
        String path = p instanceof RootfsPatch.WriteFile w ? w.path()
                : p instanceof RootfsPatch.AppendFile a ? a.path()
                : p instanceof RootfsPatch.Mkdir m ? m.path()
                : p instanceof RootfsPatch.CopyFromHost c ? c.path()
                : p instanceof RootfsPatch.Symlink l ? l.path()
                : ((RootfsPatch.Remove) p).path();
        checkPath(path, field + ".path");
        if (p instanceof RootfsPatch.WriteFile w && (w.mode() & ~07777) != 0) {
            throw new InvalidConfigException(field + ".mode", field + ".mode must be permission bits (<= 07777), got 0" + Integer.toOctalString(w.mode()));
        }
        if (p instanceof RootfsPatch.Mkdir m && (m.mode() & ~07777) != 0) {
            throw new InvalidConfigException(field + ".mode", field + ".mode must be permission bits (<= 07777), got 0" + Integer.toOctalString(m.mode()));
        }
        if (p instanceof RootfsPatch.Symlink l) {
            String t = l.target();
            if (t == null || t.isEmpty() || t.getBytes(StandardCharsets.UTF_8).length >= 4096 || !plain(t)) {
                throw new InvalidConfigException(field + ".target", field
                        + ".target must be 1..4095 bytes without quotes, backslashes or control characters");
            }
        }
        if (p instanceof RootfsPatch.CopyFromHost c && (c.source() == null || !Files.exists(c.source(), LinkOption.NOFOLLOW_LINKS))) {
            throw new InvalidConfigException(field + ".source", field + ".source must exist: " + c.source());
        }
    }

    static void checkPath(String path, String field) {
        if (path == null || !path.startsWith("/") || path.equals("/")) {
            throw new InvalidConfigException(field, field + " must be an absolute path below /: " + path);
        }
        for (String part : path.substring(1).split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new InvalidConfigException(field, field + " must be normalised (no empty, '.' or '..' parts): " + path);
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new InvalidConfigException(field, field + " has a name longer than 255 bytes: " + path);
            }
        }
        if (!plain(path)) {
            throw new InvalidConfigException(field, field + " must not contain quotes, backslashes or control characters: " + path);
        }
    }

    // debugfs parses its command line itself; these characters cannot be passed through it safely
    private static boolean plain(String s) {
        return s.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '"' || c == '\\');
    }

    /** One patch run: knows what it created so it asks debugfs about each directory at most once. */
    private final class Session {
        private final Path disk;
        private final Path staging;
        private final Map<String, Integer> known = new HashMap<>();
        private int seq;

        Session(Path disk, Path staging) {
            this.disk = disk;
            this.staging = staging;
        }

        void apply(RootfsPatch p) throws IOException {
            if (p instanceof RootfsPatch.WriteFile w) {
                writeFile(UPPER + w.path(), w.content(), w.mode());
            } else if (p instanceof RootfsPatch.AppendFile a) {
                append(UPPER + a.path(), a.content());
            } else if (p instanceof RootfsPatch.Mkdir m) {
                mkdirs(UPPER + m.path(), m.mode(), true);
            } else if (p instanceof RootfsPatch.Symlink l) {
                String path = UPPER + l.path();
                List<String> cmds = prepare(path);
                cmds.add("symlink " + q(path) + " " + q(l.target()));
                script(disk, cmds);
                known.put(path, Inode.S_IFLNK | 0777);
            } else if (p instanceof RootfsPatch.Remove r) {
                String path = UPPER + r.path();
                List<String> cmds = prepare(path);
                cmds.add("cd " + q(parent(path)));
                cmds.add("mknod " + q(name(path)) + " c 0 0");
                script(disk, cmds);
                known.put(path, Inode.S_IFCHR);
            } else if (p instanceof RootfsPatch.CopyFromHost c) {
                copy(c.source(), UPPER + c.path());
            }
        }

        /** Appends to the upper's copy of the file (a file only in the lower image is not copied up). */
        private void append(String path, byte[] content) throws IOException {
            Integer mode = mode(path);
            byte[] old = new byte[0];
            int perm = 0644;
            if (mode != null && (mode & Inode.S_IFMT) == Inode.S_IFREG) {
                Path f = stage(new byte[0]);
                script(disk, List.of("dump " + q(path) + " " + q(f.toString())));
                old = Files.readAllBytes(f);
                perm = mode & 07777;
            }
            byte[] all = Arrays.copyOf(old, old.length + content.length);
            System.arraycopy(content, 0, all, old.length, content.length);
            writeFile(path, all, perm);
        }

        private void copy(Path src, String path) throws IOException {
            int perm = (Integer) Files.getAttribute(src, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            if (Files.isSymbolicLink(src)) {
                String target = Files.readSymbolicLink(src).toString();
                if (!plain(target)) {
                    throw new InvalidConfigException("source", "source symlink target must not contain quotes, backslashes or control characters: " + src);
                }
                List<String> cmds = prepare(path);
                cmds.add("symlink " + q(path) + " " + q(target));
                script(disk, cmds);
            } else if (Files.isDirectory(src)) {
                mkdirs(path, perm, true);
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
                    for (Path c : ds) {
                        String child = path + "/" + c.getFileName();
                        checkPath(child.substring(UPPER.length()), "source");
                        copy(c, child);
                    }
                }
            } else if (Files.isRegularFile(src)) {
                List<String> cmds = prepare(path);
                cmds.add("write " + q(src.toString()) + " " + q(path));
                cmds.addAll(owner(path, Inode.S_IFREG | perm));
                script(disk, cmds);
                known.put(path, Inode.S_IFREG | perm);
            } else {
                throw new InvalidConfigException("source", "source must be a regular file, directory or symlink: " + src);
            }
        }

        private void writeFile(String path, byte[] content, int perm) throws IOException {
            Path f = stage(content);
            List<String> cmds = prepare(path);
            cmds.add("write " + q(f.toString()) + " " + q(path));
            cmds.addAll(owner(path, Inode.S_IFREG | perm));
            script(disk, cmds);
            known.put(path, Inode.S_IFREG | perm);
        }

        /** Commands that create the missing parents of {@code path} and remove what is at it now. */
        private List<String> prepare(String path) throws IOException {
            List<String> cmds = new ArrayList<>();
            String parent = parent(path);
            if (!parent.equals(UPPER)) {
                mkdirs(parent, 0755, false);
            }
            Integer mode = mode(path);
            if (mode != null) {
                removeTree(path, mode, cmds);
                known.remove(path);
            }
            return cmds;
        }

        /** Makes {@code path} a directory; an explicit Mkdir also sets the mode of one that exists. */
        private void mkdirs(String path, int perm, boolean explicit) throws IOException {
            String parent = parent(path);
            if (!parent.equals(UPPER)) {
                mkdirs(parent, 0755, false);
            }
            Integer mode = mode(path);
            List<String> cmds = new ArrayList<>();
            if (mode != null && (mode & Inode.S_IFMT) == Inode.S_IFDIR) {
                if (explicit && (mode & 07777) != perm) {
                    cmds.addAll(owner(path, Inode.S_IFDIR | perm));
                } else {
                    perm = mode & 07777;
                }
            } else {
                if (mode != null) {
                    removeTree(path, mode, cmds);
                }
                cmds.add("mkdir " + q(path));
                cmds.addAll(owner(path, Inode.S_IFDIR | perm));
            }
            if (!cmds.isEmpty()) {
                script(disk, cmds);
            }
            known.put(path, Inode.S_IFDIR | perm);
        }

        private void removeTree(String path, int mode, List<String> cmds) throws IOException {
            if ((mode & Inode.S_IFMT) == Inode.S_IFDIR) {
                for (var e : list(path).entrySet()) {
                    removeTree(path + "/" + e.getKey(), e.getValue(), cmds);
                }
                cmds.add("rmdir " + q(path));
            } else {
                cmds.add("rm " + q(path));
            }
            known.keySet().removeIf(k -> k.equals(path) || k.startsWith(path + "/"));
        }

        /** The mode of what is at {@code path} in the upper, or null if nothing is. */
        private Integer mode(String path) throws IOException {
            if (known.containsKey(path)) {
                return known.get(path);
            }
            Integer m = list(parent(path)).get(name(path));
            if (m != null) {
                known.put(path, m);
            }
            return m;
        }

        private Map<String, Integer> list(String dir) throws IOException {
            Map<String, Integer> out = new HashMap<>();
            String text = runDebugfs(disk, List.of("ls -p " + q(dir)), true);
            for (String line : text.split("\n")) {
                // /ino/mode/uid/gid/name/size/
                String[] f = line.split("/", -1);
                if (f.length >= 7 && line.startsWith("/")) {
                    String name = String.join("/", java.util.Arrays.copyOfRange(f, 5, f.length - 2));
                    if (!name.equals(".") && !name.equals("..")) {
                        out.put(name, Integer.parseInt(f[2], 8));
                    }
                }
            }
            return out;
        }

        private Path stage(byte[] content) throws IOException {
            Path f = staging.resolve("f" + (seq++));
            Files.write(f, content);
            return f;
        }
    }

    private static List<String> owner(String path, int mode) {
        return List.of("sif " + q(path) + " uid 0", "sif " + q(path) + " gid 0",
                "sif " + q(path) + " mode 0" + Integer.toOctalString(mode));
    }

    private static String parent(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String q(String s) {
        return "\"" + s + "\"";
    }

    /** Runs debugfs commands in write mode; any message besides its banner is a failure. */
    private void script(Path disk, List<String> cmds) {
        runDebugfs(disk, cmds, false);
    }

    private String runDebugfs(Path disk, List<String> cmds, boolean readOnly) {
        Path f = null;
        try {
            f = Files.createTempFile("msb-debugfs", ".cmd");
            Files.write(f, (String.join("\n", cmds) + "\n").getBytes(StandardCharsets.UTF_8));
            List<String> cmd = new ArrayList<>(List.of(debugfs));
            if (!readOnly) {
                cmd.add("-w");
            }
            cmd.addAll(List.of("-f", f.toString(), disk.toString()));
            Result r = exec(cmd);
            List<String> errors = r.stderr().lines()
                    .filter(l -> !l.startsWith("debugfs ") && !l.isBlank())
                    .toList();
            // a listing of a directory that does not exist simply means "nothing there"
            if (readOnly && errors.stream().allMatch(l -> l.contains("File not found") || l.contains("not a directory"))) {
                return errors.isEmpty() ? r.stdout() : "";
            }
            if (r.exit() != 0 || !errors.isEmpty()) {
                throw new MsbException("debugfs failed on " + disk + ": " + String.join("; ", errors)
                        + " (commands: " + String.join("; ", cmds) + ")");
            }
            return r.stdout();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // temp file, harmless
                }
            }
        }
    }

    private record Result(int exit, String stdout, String stderr) {
    }

    private static Result exec(List<String> cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new MsbException(cmd.get(0) + " could not be started" + (cmd.get(0).equals("cp") ? ": "
                    : " (is e2fsprogs installed?): ") + e.getMessage(), e);
        }
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
        String out = slurp(p.getInputStream());
        try {
            if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new MsbException(cmd.get(0) + " did not finish within " + TIMEOUT_S + " s");
            }
            return new Result(p.exitValue(), out, err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while running " + cmd.get(0));
        }
    }

    private static String slurp(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void run(List<String> cmd) throws IOException {
        Result r = exec(cmd);
        if (r.exit() != 0) {
            throw new MsbException(cmd.get(0) + " failed (exit " + r.exit() + "): " + r.stderr().strip() + r.stdout().strip());
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp files only
        }
    }
}
