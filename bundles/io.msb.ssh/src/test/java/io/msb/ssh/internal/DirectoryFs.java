package io.msb.ssh.internal;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@link SandboxFs} over a host directory standing for the guest's root, failing as the agent does (agentd's
 * "op path: strerror" texts, {@link NotFoundException} for ENOENT). Counts the reads it opens; its read streams can
 * return small pieces.
 */
final class DirectoryFs implements SandboxFs {
    final Path root;
    final AtomicInteger readsOpened = new AtomicInteger();
    /** The most one read of a read stream returns, as the agent's streams arrive in pieces. */
    volatile int readPiece = Integer.MAX_VALUE;

    DirectoryFs(Path root) {
        this.root = root;
    }

    Path host(String guestPath) {
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("not absolute: " + guestPath);
        }
        return root.resolve(guestPath.substring(1));
    }

    private interface Op<T> {
        T run() throws IOException;
    }

    private static <T> T agent(String op, String path, Op<T> body) {
        try {
            return body.run();
        } catch (NoSuchFileException e) {
            throw new NotFoundException("file", op + " " + path + " (No such file or directory)");
        } catch (FileAlreadyExistsException e) {
            throw new MsbException(op + " " + path + ": File exists");
        } catch (DirectoryNotEmptyException e) {
            throw new MsbException(op + " " + path + ": Directory not empty");
        } catch (IOException e) {
            throw new MsbException(op + " " + path + ": " + e);
        }
    }

    private FileStat stat(String path, LinkOption... options) throws IOException {
        Path p = host(path);
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, options);
        FileType type = a.isSymbolicLink() ? FileType.SYMLINK : a.isDirectory() ? FileType.DIRECTORY
                : a.isRegularFile() ? FileType.FILE : FileType.OTHER;
        int mode = GuestAttributes.mode(a.permissions());
        return new FileStat(path, type, a.size(), mode, 0, 0, a.lastModifiedTime().toInstant());
    }

    @Override
    public FileStat stat(String path) {
        return agent("stat", path, () -> stat(path, new LinkOption[0]));
    }

    @Override
    public List<FileStat> list(String directory) {
        return agent("list", directory, () -> {
            List<FileStat> entries = new ArrayList<>();
            try (Stream<Path> children = Files.list(host(directory))) {
                for (Path child : children.toList()) {
                    String path = (directory.endsWith("/") ? directory : directory + "/") + child.getFileName();
                    entries.add(stat(path, LinkOption.NOFOLLOW_LINKS));
                }
            }
            return entries;
        });
    }

    @Override
    public InputStream read(String path) {
        readsOpened.incrementAndGet();
        InputStream file = agent("open", path, () -> Files.newInputStream(host(path)));
        return new java.io.FilterInputStream(file) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, readPiece));
            }
        };
    }

    @Override
    public void write(String path, InputStream content, int mode) {
        agent("open", path, () -> {
            Files.copy(content, host(path), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(host(path), GuestAttributes.permissions(mode));
            return null;
        });
    }

    @Override
    public void mkdirs(String path, int mode) {
        agent("mkdir", path, () -> Files.createDirectories(host(path)));
    }

    @Override
    public void remove(String path) {
        agent("remove", path, () -> {
            Files.delete(host(path));
            return null;
        });
    }

    @Override
    public void removeRecursive(String path) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void rename(String from, String to) {
        agent("rename", from, () -> Files.move(host(from), host(to), StandardCopyOption.REPLACE_EXISTING));
    }

    @Override
    public void copy(String from, String to) {
        agent("copy", from, () -> Files.copy(host(from), host(to), StandardCopyOption.REPLACE_EXISTING));
    }

    @Override
    public void symlink(String target, String link) {
        agent("symlink", link, () -> Files.createSymbolicLink(host(link), Path.of(target)));
    }

    @Override
    public String readlink(String path) {
        return agent("readlink", path, () -> Files.readSymbolicLink(host(path)).toString());
    }

    @Override
    public String realpath(String path) {
        return agent("realpath", path, () -> "/" + root.toRealPath().relativize(host(path).toRealPath()));
    }

    @Override
    public void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified) {
        agent("setstat", path, () -> {
            if (mode != null) {
                Files.setPosixFilePermissions(host(path), GuestAttributes.permissions(mode));
            }
            if (modified != null) {
                Files.setLastModifiedTime(host(path), FileTime.from(modified));
            }
            return null;
        });
    }
}
