package io.msb.volume.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A directory volume's files from the host (decision 1212). Paths are absolute within the volume ({@code /} is its
 * root). Every path is taken apart component by component: {@code ..} is refused, and each directory on the way is
 * looked at without following links, so a symbolic link anywhere but at the end is refused; the last component is
 * never followed either (read and write open with {@code O_NOFOLLOW}, stat is lstat, remove and rename act on the
 * link). A link the guest made that points out of the volume is therefore a file of the volume that cannot be read
 * through. Writes are staged beside their target and renamed into place, and with a quota they are counted and
 * refused once the volume would hold more than it.
 */
final class VolumeFs implements SandboxFs {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final String PARTIAL = ".msb-partial-";

    private final Path root;
    private final Supplier<Integer> quotaMib;
    /** Writes under a quota are counted one at a time, so that two cannot both fit in the room left for one. */
    private final Object quotaLock;

    VolumeFs(Path root, Supplier<Integer> quotaMib, Object quotaLock) {
        this.root = root;
        this.quotaMib = quotaMib;
        this.quotaLock = quotaLock;
    }

    /** What a path names: the host path and the components below the root. */
    private record Target(Path host, List<String> parts, String text) {
        boolean isRoot() {
            return parts.isEmpty();
        }
    }

    /** Splits and checks {@code path}; every directory above its last component must be a real directory. */
    Target target(String field, String path) {
        List<String> parts = parts(field, path);
        Path dir = root;
        for (int i = 0; i < parts.size() - 1; i++) {
            dir = dir.resolve(parts.get(i));
            checkDirectory(field, path, dir, i + 1, parts);
        }
        return new Target(parts.isEmpty() ? root : dir.resolve(parts.get(parts.size() - 1)), parts, path);
    }

    static List<String> parts(String field, String path) {
        Check.path(field, path);
        if (!path.startsWith("/")) {
            throw Check.invalid(field, "must be an absolute path within the volume, got '" + clip(path) + "'");
        }
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (p.equals("..")) {
                throw Check.invalid(field, "must not contain '..', got '" + clip(path) + "'");
            }
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        return parts;
    }

    private static String clip(String s) {
        return s.length() > 128 ? s.substring(0, 128) + "…" : s;
    }

    private static void checkDirectory(String field, String path, Path dir, int depth, List<String> parts) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            throw new NotFoundException("file", "/" + String.join("/", parts.subList(0, depth)) + " (in " + path + ")");
        } catch (IOException e) {
            throw new MsbException("stat " + path + ": " + e.getMessage(), e);
        }
        if (a.isSymbolicLink()) {
            throw Check.invalid(field, "/" + String.join("/", parts.subList(0, depth))
                    + " is a symbolic link; volume paths do not follow links (in " + path + ")");
        }
        if (!a.isDirectory()) {
            throw Check.invalid(field, "/" + String.join("/", parts.subList(0, depth)) + " is not a directory (in "
                    + path + ")");
        }
    }

    private interface Io<T> {
        T run() throws IOException;
    }

    /** Runs an operation on {@code t}, its file system errors as the platform's. */
    private static <T> T io(String op, Target t, Io<T> body) {
        try {
            return body.run();
        } catch (NoSuchFileException e) {
            throw new NotFoundException("file", t.text());
        } catch (FileAlreadyExistsException e) {
            throw new AlreadyExistsException("file", t.text());
        } catch (DirectoryNotEmptyException e) {
            throw Check.invalid("path", t.text() + " is a directory that is not empty; remove it recursively");
        } catch (NotDirectoryException e) {
            throw Check.invalid("path", t.text() + " is not a directory");
        } catch (IOException e) {
            // ELOOP comes as a FileSystemException, or (opened with NOFOLLOW_LINKS) as a plain IOException
            String reason = String.valueOf(e instanceof FileSystemException f ? f.getReason() : e.getMessage());
            if (reason.contains("symbolic links")) {
                throw Check.invalid("path", t.text() + " is a symbolic link; volume paths do not follow links");
            }
            if (reason.contains("Is a directory")) {
                throw Check.invalid("path", t.text() + " is a directory");
            }
            throw new MsbException(op + " " + t.text() + ": " + reason, e);
        }
    }

    private static FileStat lstat(String path, Path host) throws IOException {
        PosixFileAttributes a = Files.readAttributes(host, PosixFileAttributes.class, NOFOLLOW);
        FileType type = a.isSymbolicLink() ? FileType.SYMLINK : a.isDirectory() ? FileType.DIRECTORY
                : a.isRegularFile() ? FileType.FILE : FileType.OTHER;
        int uid = (Integer) Files.getAttribute(host, "unix:uid", NOFOLLOW);
        int gid = (Integer) Files.getAttribute(host, "unix:gid", NOFOLLOW);
        int mode = (Integer) Files.getAttribute(host, "unix:mode", NOFOLLOW) & 07777;
        return new FileStat(path, type, a.size(), mode, uid, gid, a.lastModifiedTime().toInstant());
    }

    @Override
    public FileStat stat(String path) {
        Target t = target("path", path);
        return io("stat", t, () -> lstat(path, t.host()));
    }

    /** Whether the path names a file (a dangling link counts: it is there). */
    boolean exists(String path) {
        try {
            stat(path);
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public List<FileStat> list(String directory) {
        Target t = target("path", directory);
        return io("list", t, () -> {
            if (!t.isRoot()) {
                checkDirectory("path", directory, t.host(), t.parts().size(), t.parts());
            }
            String prefix = directory.endsWith("/") ? directory : directory + "/";
            List<FileStat> out = new ArrayList<>();
            try (Stream<Path> children = Files.list(t.host())) {
                for (Path child : children.sorted().toList()) {
                    out.add(lstat(prefix + child.getFileName(), child));
                }
            }
            return out;
        });
    }

    @Override
    public InputStream read(String path) {
        Target t = target("path", path);
        return io("open", t, () -> {
            if (Files.isDirectory(t.host(), NOFOLLOW)) {
                throw new FileSystemException(t.host().toString(), null, "Is a directory");
            }
            return Files.newInputStream(t.host(), LinkOption.NOFOLLOW_LINKS);
        });
    }

    @Override
    public void write(String path, InputStream content, int mode) {
        Target t = writable(path);
        withinQuota("write", t, room -> store(t, content, mode, room));
    }

    /** What fills a file: given the bytes it may hold. */
    private interface Filling {
        Void fill(long room) throws IOException;
    }

    /** Fills {@code t}; under a quota, one filling at a time, given the room the quota leaves for it. */
    private void withinQuota(String op, Target t, Filling filling) {
        Integer quota = quotaMib.get();
        if (quota == null) {
            io(op, t, () -> filling.fill(Long.MAX_VALUE));
            return;
        }
        synchronized (quotaLock) {
            long room = room(quota, t);
            io(op, t, () -> filling.fill(room));
        }
    }

    /** A target a file may be written to: not the root, its parent a directory of the volume. */
    private Target writable(String path) {
        Target t = target("path", path);
        if (t.isRoot()) {
            throw Check.invalid("path", "must name a file, not the volume's root");
        }
        return t; // target() found every directory above it real
    }

    /** Bytes the file at {@code t} may hold: the quota less what every other file uses. */
    private long room(int quotaMib, Target t) {
        long used = usedBytes(root);
        long existing = 0;
        try {
            BasicFileAttributes a = Files.readAttributes(t.host(), BasicFileAttributes.class, NOFOLLOW);
            existing = a.isRegularFile() ? a.size() : 0;
        } catch (IOException none) {
            // nothing there yet
        }
        return Math.max(0, ((long) quotaMib << 20) - (used - existing));
    }

    /** Stages the content beside the target, then renames it over the target (never through a link). */
    private Void store(Target t, InputStream content, int mode, long room) throws IOException {
        Path partial = t.host().resolveSibling(PARTIAL + UUID.randomUUID());
        try {
            long written = 0;
            byte[] buffer = new byte[128 << 10];
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                for (int n; (n = content.read(buffer)) >= 0; ) {
                    written += n;
                    if (written > room) {
                        throw new QuotaExceededException(t.text(), quotaMib.get(), room);
                    }
                    out.write(buffer, 0, n);
                }
            }
            Files.setPosixFilePermissions(partial, permissions(mode));
            Files.move(partial, t.host(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return null;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** A write or copy that would take the volume over its quota. */
    static final class QuotaExceededException extends InvalidConfigException {
        private static final long serialVersionUID = 1L;

        QuotaExceededException(String path, Integer quotaMib, long room) {
            super("quotaMib", "writing " + path + " would take the volume over its quota of " + quotaMib
                    + " MiB (room left for this file: " + room + " bytes)");
        }
    }

    @Override
    public void mkdirs(String path, int mode) {
        List<String> parts = parts("path", path);
        Path dir = root;
        for (int i = 0; i < parts.size(); i++) {
            dir = dir.resolve(parts.get(i));
            if (!Files.exists(dir, NOFOLLOW)) {
                Target t = new Target(dir, parts.subList(0, i + 1), "/" + String.join("/", parts.subList(0, i + 1)));
                Path created = dir;
                io("mkdir", t, () -> Files.createDirectory(created));
                io("chmod", t, () -> {
                    Files.setPosixFilePermissions(created, permissions(mode));
                    return null;
                });
            }
            checkDirectory("path", path, dir, i + 1, parts);
        }
    }

    @Override
    public void remove(String path) {
        Target t = notRoot(target("path", path));
        io("remove", t, () -> {
            Files.delete(t.host());
            return null;
        });
    }

    @Override
    public void removeRecursive(String path) {
        Target t = notRoot(target("path", path));
        io("remove", t, () -> {
            if (!Files.exists(t.host(), NOFOLLOW)) {
                throw new NoSuchFileException(t.host().toString());
            }
            VolumeLayout.deleteTree(t.host());
            return null;
        });
    }

    private static Target notRoot(Target t) {
        if (t.isRoot()) {
            throw Check.invalid("path", "must not be the volume's root");
        }
        return t;
    }

    @Override
    public void rename(String from, String to) {
        Target a = notRoot(target("from", from));
        Target b = notRoot(target("to", to));
        io("rename", a, () -> Files.move(a.host(), b.host(), StandardCopyOption.ATOMIC_MOVE));
    }

    @Override
    public void copy(String from, String to) {
        Target a = notRoot(target("from", from));
        Target b = writable(to);
        FileStat source = stat(from);
        if (source.type() != FileType.FILE) {
            throw Check.invalid("from", from + " is not a regular file; copy copies files");
        }
        withinQuota("copy", b, room -> copyFile(a, b, source, room));
    }

    private Void copyFile(Target a, Target b, FileStat source, long room) throws IOException {
        try (InputStream in = Files.newInputStream(a.host(), LinkOption.NOFOLLOW_LINKS)) {
            return store(b, in, source.mode(), room);
        }
    }

    @Override
    public void symlink(String target, String link) {
        Check.path("target", target);
        Target t = notRoot(target("link", link));
        io("symlink", t, () -> Files.createSymbolicLink(t.host(), Path.of(target)));
    }

    @Override
    public String readlink(String path) {
        Target t = target("path", path);
        return io("readlink", t, () -> Files.readSymbolicLink(t.host()).toString());
    }

    @Override
    public String realpath(String path) {
        Target t = target("path", path);
        return io("realpath", t, () -> {
            Path real = t.host().toRealPath();
            Path rootReal = root.toRealPath();
            if (!real.startsWith(rootReal)) {
                throw Check.invalid("path", path + " leads out of the volume");
            }
            return "/" + rootReal.relativize(real);
        });
    }

    @Override
    public void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified) {
        Target t = target("path", path);
        if (uid != null || gid != null) {
            throw new UnsupportedFeatureException("changing the owner of a volume's file from the host");
        }
        io("setstat", t, () -> {
            if (Files.isSymbolicLink(t.host())) {
                throw new FileSystemException(t.host().toString(), null, "Too many levels of symbolic links");
            }
            PosixFileAttributeView view = Files.getFileAttributeView(t.host(), PosixFileAttributeView.class, NOFOLLOW);
            if (mode != null) {
                view.setPermissions(permissions(mode));
            }
            if (modified != null) {
                view.setTimes(FileTime.from(modified), null, null);
            }
            return null;
        });
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE, high bit first
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                out.add(bits[i]);
            }
        }
        return out;
    }

    /** Bytes the regular files under {@code dir} hold (links are not followed). */
    static long usedBytes(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        total[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // removed meanwhile
                }
            });
        } catch (IOException e) {
            throw new MsbException("cannot measure " + dir + ": " + e.getMessage(), e);
        }
        return total[0];
    }
}
