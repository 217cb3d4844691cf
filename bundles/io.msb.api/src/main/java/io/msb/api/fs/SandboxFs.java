package io.msb.api.fs;

import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** File operations inside a running sandbox, performed by its agent. Paths are absolute guest paths. */
@ProviderType
public interface SandboxFs {
    FileStat stat(String path);

    List<FileStat> list(String directory);

    /** Streams the file's content; the caller closes the stream. */
    InputStream read(String path);

    default byte[] readAllBytes(String path) {
        try (InputStream in = read(path)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes (creating or truncating) the file from {@code content} with permission bits {@code mode}. */
    void write(String path, InputStream content, int mode);

    default void write(String path, byte[] content) {
        write(path, new java.io.ByteArrayInputStream(content), 0644);
    }

    /** Creates the directory and its missing parents. */
    void mkdirs(String path, int mode);

    /** Removes a file or an empty directory. */
    void remove(String path);

    /** Removes a directory and everything below it. */
    void removeRecursive(String path);

    void rename(String from, String to);

    void copy(String from, String to);

    void symlink(String target, String link);

    String readlink(String path);

    String realpath(String path);

    /** Changes what is not null: permission bits, owner, group, modification time. */
    void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified);
}
