package io.msb.ssh.internal;

import io.msb.api.fs.FileStat;
import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The java.nio operations of {@link SandboxFileSystem}, each one {@link SandboxFs} call (or two: a stat first where
 * java.nio's contract needs to know whether the file exists). File systems are made per SSH session by
 * {@link #newFileSystem(SandboxFs)}; URIs are not supported.
 */
final class SandboxFileSystemProvider extends FileSystemProvider {
    static final int DEFAULT_FILE_MODE = 0644;
    static final int DEFAULT_DIRECTORY_MODE = 0755;

    SandboxFileSystem newFileSystem(SandboxFs guest) {
        return new SandboxFileSystem(this, guest);
    }

    @Override
    public String getScheme() {
        return "msb-sandbox";
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        throw new UnsupportedOperationException("sandbox file systems are opened by the SSH endpoint");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        throw new UnsupportedOperationException("sandbox file systems are opened by the SSH endpoint");
    }

    @Override
    public Path getPath(URI uri) {
        throw new UnsupportedOperationException("sandbox file systems are opened by the SSH endpoint");
    }

    private static SandboxPath cast(Path path) {
        if (path instanceof SandboxPath p) {
            return p;
        }
        throw new ProviderMismatchException("not a sandbox path: " + path);
    }

    private static SandboxFs guest(SandboxPath path) {
        return path.getFileSystem().guest();
    }

    /** The file's stat; {@code NOFOLLOW_LINKS} still follows a link to a file that exists (decision 1052). */
    static FileStat stat(Path path, LinkOption... options) throws IOException {
        SandboxPath p = cast(path);
        String guestPath = p.guestPath();
        try {
            return GuestErrors.call(guestPath, () -> guest(p).stat(guestPath));
        } catch (NoSuchFileException e) {
            if (!Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS) || p.getParent() == null) {
                throw e;
            }
            // a dangling symbolic link: its own entry is in its directory's listing
            String parent = p.getParent().guestPath();
            String name = p.getFileName().toString();
            return GuestErrors.call(parent, () -> guest(p).list(parent)).stream()
                    .filter(entry -> name.equals(lastName(entry.path()))).findFirst().orElseThrow(() -> e);
        }
    }

    static String lastName(String path) {
        String trimmed = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    private static boolean exists(Path path) throws IOException {
        try {
            stat(path, LinkOption.NOFOLLOW_LINKS);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        SandboxPath p = cast(path);
        String guestPath = p.guestPath();
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        if (!write) {
            FileStat stat = stat(p);
            if (!new GuestAttributes(stat).isRegularFile()) {
                throw new IOException(guestPath + " is not a regular file");
            }
            return new GuestReadChannel(guest(p), guestPath, stat.size());
        }
        if (options.contains(StandardOpenOption.APPEND)) {
            throw new UnsupportedOperationException("append to " + guestPath + ": sandbox files are written whole");
        }
        boolean exists = exists(p);
        if (exists && options.contains(StandardOpenOption.CREATE_NEW)) {
            throw new FileAlreadyExistsException(guestPath);
        }
        if (!exists && !options.contains(StandardOpenOption.CREATE) && !options.contains(StandardOpenOption.CREATE_NEW)) {
            throw new NoSuchFileException(guestPath);
        }
        if (exists && !options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            throw new UnsupportedOperationException("write into " + guestPath + " without truncating it: sandbox files"
                    + " are written whole");
        }
        return new GuestWriteChannel(guest(p), guestPath, mode(attrs, DEFAULT_FILE_MODE));
    }

    /** The permission bits among {@code attrs} ("posix:permissions"), else {@code otherwise}. */
    @SuppressWarnings("unchecked")
    static int mode(FileAttribute<?>[] attrs, int otherwise) {
        for (FileAttribute<?> attr : attrs) {
            if (attr.name().equals("posix:permissions")) {
                return GuestAttributes.mode((Set<PosixFilePermission>) attr.value());
            }
        }
        return otherwise;
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        SandboxPath p = cast(dir);
        String guestPath = p.guestPath();
        List<FileStat> entries = GuestErrors.call(guestPath, () -> guest(p).list(guestPath));
        List<Path> children = new java.util.ArrayList<>();
        for (FileStat entry : entries) {
            String name = lastName(entry.path());
            Path child = p.resolve(name);
            if (!name.equals(".") && !name.equals("..") && (filter == null || filter.accept(child))) {
                children.add(child);
            }
        }
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                return children.iterator();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        SandboxPath p = cast(dir);
        if (exists(p)) {
            throw new FileAlreadyExistsException(p.guestPath());
        }
        if (p.getParent() != null && !exists(p.getParent())) { // SandboxFs.mkdirs would create it
            throw new NoSuchFileException(p.getParent().guestPath());
        }
        GuestErrors.run(p.guestPath(), () -> guest(p).mkdirs(p.guestPath(), mode(attrs, DEFAULT_DIRECTORY_MODE)));
    }

    @Override
    public void delete(Path path) throws IOException {
        SandboxPath p = cast(path);
        GuestErrors.run(p.guestPath(), () -> guest(p).remove(p.guestPath()));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        SandboxPath from = cast(source);
        SandboxPath to = cast(target);
        refuseExistingTarget(to, options);
        GuestErrors.run(from.guestPath(), () -> guest(from).copy(from.guestPath(), to.guestPath()));
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        SandboxPath from = cast(source);
        SandboxPath to = cast(target);
        refuseExistingTarget(to, options);
        GuestErrors.run(from.guestPath(), () -> guest(from).rename(from.guestPath(), to.guestPath()));
    }

    /** java.nio's rule: an existing target is replaced only when asked. */
    private static void refuseExistingTarget(SandboxPath target, CopyOption... options) throws IOException {
        if (!Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING) && exists(target)) {
            throw new FileAlreadyExistsException(target.guestPath());
        }
    }

    @Override
    public boolean isSameFile(Path path, Path path2) {
        return cast(path).guestPath().equals(cast(path2).guestPath());
    }

    @Override
    public boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) {
        throw new UnsupportedOperationException("a sandbox's file stores are not visible from the host");
    }

    /** Existence only: the guest checks permissions when the operation runs. */
    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        stat(path);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        if (type == BasicFileAttributeView.class || type == PosixFileAttributeView.class) {
            return (V) new View(cast(path), options);
        }
        return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        if (type == BasicFileAttributes.class || type == PosixFileAttributes.class) {
            return (A) new GuestAttributes(stat(path, options));
        }
        throw new UnsupportedOperationException(type.getName() + " is not supported");
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        int colon = attributes.indexOf(':');
        String view = colon < 0 ? "basic" : attributes.substring(0, colon);
        return new GuestAttributes(stat(path, options)).asMap(view, attributes.substring(colon + 1));
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        SandboxPath p = cast(path);
        String name = attribute.substring(attribute.indexOf(':') + 1);
        String guestPath = p.guestPath();
        SandboxFs guest = guest(p);
        switch (name) {
        case "lastModifiedTime" ->
            GuestErrors.run(guestPath, () -> guest.setStat(guestPath, null, null, null, ((FileTime) value).toInstant()));
        case "lastAccessTime", "creationTime" -> {
            // the guest API sets the modification time only; sftp sends access times along with it
        }
        case "permissions" -> {
            @SuppressWarnings("unchecked")
            int mode = GuestAttributes.mode((Set<PosixFilePermission>) value);
            GuestErrors.run(guestPath, () -> guest.setStat(guestPath, mode, null, null, null));
        }
        case "mode" -> GuestErrors.run(guestPath, () -> guest.setStat(guestPath, ((Integer) value) & 07777, null, null,
                null));
        case "owner", "uid" -> {
            int uid = value instanceof Integer i ? i : GuestAttributes.Id.of("owner", value);
            GuestErrors.run(guestPath, () -> guest.setStat(guestPath, null, uid, null, null));
        }
        case "group", "gid" -> {
            int gid = value instanceof Integer i ? i : GuestAttributes.Id.of("group", value);
            GuestErrors.run(guestPath, () -> guest.setStat(guestPath, null, null, gid, null));
        }
        default -> throw new UnsupportedOperationException("attribute '" + attribute + "' cannot be set in a sandbox");
        }
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        SandboxPath p = cast(link);
        GuestErrors.run(p.guestPath(), () -> guest(p).symlink(target.toString(), p.guestPath()));
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        SandboxPath p = cast(link);
        return p.getFileSystem().getPath(GuestErrors.call(p.guestPath(), () -> guest(p).readlink(p.guestPath())));
    }

    /** The basic and posix views: reads stat, writes go through {@link #setAttribute}. */
    private final class View implements PosixFileAttributeView {
        private final SandboxPath path;
        private final LinkOption[] options;

        View(SandboxPath path, LinkOption[] options) {
            this.path = path;
            this.options = options;
        }

        @Override
        public String name() {
            return "posix";
        }

        @Override
        public PosixFileAttributes readAttributes() throws IOException {
            return new GuestAttributes(stat(path, options));
        }

        @Override
        public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
            if (lastModifiedTime != null) {
                setAttribute(path, "lastModifiedTime", lastModifiedTime, options);
            }
        }

        @Override
        public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            setAttribute(path, "permissions", perms, options);
        }

        @Override
        public void setGroup(GroupPrincipal group) throws IOException {
            setAttribute(path, "group", group, options);
        }

        @Override
        public UserPrincipal getOwner() throws IOException {
            return readAttributes().owner();
        }

        @Override
        public void setOwner(UserPrincipal owner) throws IOException {
            setAttribute(path, "owner", owner, options);
        }
    }
}
