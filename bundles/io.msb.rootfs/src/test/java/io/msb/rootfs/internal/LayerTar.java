package io.msb.rootfs.internal;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Writes a real layer tarball (plain, gzip or zstd) for tests. */
final class LayerTar implements AutoCloseable {
    enum Codec { TAR, GZIP, ZSTD }

    private final TarArchiveOutputStream tar;
    final Path file;
    final Codec codec;

    LayerTar(Path file, Codec codec) throws IOException {
        this.file = file;
        this.codec = codec;
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        out = switch (codec) {
            case GZIP -> new GZIPOutputStream(out, 1 << 16);
            case ZSTD -> new ZstdOutputStream(out);
            case TAR -> out;
        };
        tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    Layer layer() {
        return new Layer(file, switch (codec) {
            case GZIP -> "application/vnd.oci.image.layer.v1.tar+gzip";
            case ZSTD -> "application/vnd.oci.image.layer.v1.tar+zstd";
            case TAR -> "application/vnd.oci.image.layer.v1.tar";
        });
    }

    private TarArchiveEntry entry(String name, byte type, int mode, long uid, long gid, Instant mtime) {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setLastModifiedTime(FileTime.from(mtime));
        return e;
    }

    LayerTar dir(String name, int mode, long uid, long gid, Instant mtime, Map<String, String> xattrs) throws IOException {
        TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode, uid, gid, mtime);
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    LayerTar file(String name, byte[] content, int mode, long uid, long gid, Instant mtime, Map<String, String> xattrs)
            throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode, uid, gid, mtime);
        e.setSize(content.length);
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        return this;
    }

    LayerTar file(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0, Instant.ofEpochSecond(1_700_000_000), Map.of());
    }

    LayerTar symlink(String name, String target, long uid, long gid, Instant mtime) throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777, uid, gid, mtime);
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    LayerTar hardlink(String name, String target) throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644, 0, 0, Instant.ofEpochSecond(1_700_000_000));
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    LayerTar device(String name, byte type, int mode, int major, int minor, Instant mtime) throws IOException {
        TarArchiveEntry e = entry(name, type, mode, 0, 0, mtime);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    /** A PAX extended header with raw (possibly binary) values; it applies to the entry written next. */
    LayerTar rawPax(Map<String, byte[]> records) throws IOException {
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (var r : records.entrySet()) {
            byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
            int body = 1 + key.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len++;
            }
            data.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
            data.writeBytes(key);
            data.write('=');
            data.writeBytes(r.getValue());
            data.write('\n');
        }
        TarArchiveEntry e = new TarArchiveEntry("./PaxHeaders/x", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
        e.setSize(data.size());
        tar.putArchiveEntry(e);
        tar.write(data.toByteArray());
        tar.closeArchiveEntry();
        return this;
    }

    LayerTar whiteout(String path) throws IOException {
        int slash = path.lastIndexOf('/');
        return file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), "");
    }

    LayerTar opaque(String dir) throws IOException {
        return file(dir + "/.wh..wh..opq", "");
    }

    @Override
    public void close() throws IOException {
        tar.finish();
        tar.close();
    }
}
