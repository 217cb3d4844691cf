package io.msb.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The host's side of {@code msb cp}. What it writes may come from an untrusted guest, so it never writes through a
 * symlink below the destination: a symlink where a file, directory or link is to be made is replaced, not followed
 * (as tar does), files are created with O_EXCL (which refuses a symlink too) and 0600 until their mode is set, and
 * set-id and sticky bits are not given (the JDK cannot, and a guest should not hand out setuid programs).
 */
final class HostFiles implements CpFiles {
    private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final LinkOption[] FOLLOW = {};
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    @Override
    public Entry stat(String path, boolean follow) throws IOException {
        return stat(Path.of(path), path, follow);
    }

    private static Entry stat(Path path, String name, boolean follow) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(path, "unix:mode,lastModifiedTime,isRegularFile,isDirectory,isSymbolicLink",
                follow ? FOLLOW : NO_FOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
        Kind kind = (Boolean) a.get("isRegularFile") ? Kind.FILE : (Boolean) a.get("isDirectory") ? Kind.DIRECTORY
            : (Boolean) a.get("isSymbolicLink") ? Kind.SYMLINK : Kind.SPECIAL;
        Instant modified = ((FileTime) a.get("lastModifiedTime")).toInstant();
        return new Entry(name, kind, (Integer) a.get("mode") & 07777, modified);
    }

    @Override
    public List<Entry> list(String directory) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> children = Files.list(Path.of(directory))) {
            for (Path child : (Iterable<Path>) children.sorted()::iterator) {
                Entry e = stat(child, child.getFileName().toString(), false);
                if (e != null) { // null: removed meanwhile
                    entries.add(e);
                }
            }
        }
        return entries;
    }

    @Override
    public InputStream read(String path) throws IOException {
        return Files.newInputStream(Path.of(path));
    }

    @Override
    public String readlink(String path) throws IOException {
        return Files.readSymbolicLink(Path.of(path)).toString();
    }

    @Override
    public void writeFile(String path, InputStream content, int mode) throws IOException {
        Path file = Path.of(path);
        removeUnlessDirectory(file, "a file");
        try (OutputStream out = Channels.newOutputStream(Files.newByteChannel(file,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY_FILE))) {
            content.transferTo(out);
        }
    }

    @Override
    public void makeDirectory(String path) throws IOException {
        Path dir = Path.of(path);
        Entry there = stat(dir, path, false);
        if (there != null && there.kind() == Kind.DIRECTORY) {
            return;
        }
        if (there != null && there.kind() != Kind.SYMLINK) {
            throw new CliException("cp: " + path + ": cannot overwrite a non-directory with a directory");
        }
        if (there != null) {
            Files.delete(dir);
        }
        Files.createDirectory(dir, OWNER_ONLY_DIRECTORY);
    }

    @Override
    public void symlink(String target, String path) throws IOException {
        Path link = Path.of(path);
        removeUnlessDirectory(link, "a symlink");
        try {
            Files.createSymbolicLink(link, Path.of(target));
        } catch (java.nio.file.InvalidPathException e) {
            throw new CliException("cp: " + path + ": the symlink's target is not a valid path: " + e.getMessage());
        }
    }

    /** Makes room for a new file or link, never following a symlink that is there. */
    private static void removeUnlessDirectory(Path path, String what) throws IOException {
        Entry there = stat(path, path.toString(), false);
        if (there != null && there.kind() == Kind.DIRECTORY) {
            throw new CliException("cp: " + path + ": cannot overwrite a directory with " + what);
        }
        if (there != null) {
            try {
                Files.delete(path);
            } catch (NoSuchFileException e) {
                // gone meanwhile: CREATE_NEW below decides
            }
        }
    }

    @Override
    public void setModeAndTime(String path, int mode, Instant modified) throws IOException {
        Path p = Path.of(path);
        // only called on what this class created (a file or directory, never a link), so following is safe
        Files.setPosixFilePermissions(p, permissions(mode));
        if (modified != null) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NO_FOLLOW)
                .setTimes(FileTime.from(modified), null, null);
        }
    }

    /** The rwx bits of {@code mode}. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> result = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE: 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                result.add(bits[i]);
            }
        }
        return result;
    }

    @Override
    public String describe(String path) {
        return path;
    }
}
