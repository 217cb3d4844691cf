package io.msb.image.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.tar.TarUtils;

/** Image archives and builtin layers on Commons Compress' tar, the library the rootfs bundle uses (decision 0614). */
final class Tar {
    /** GNU long names and PAX headers are read into memory: archives are untrusted, so they are bounded. */
    static final int MAX_EXTENDED_HEADER = 64 * 1024;

    private Tar() {
    }

    /**
     * A reader stricter than the library, which takes a corrupt header for a file and a cut-off header for the
     * end: every header's checksum is verified and a short header is an error.
     */
    static final class Reader extends TarArchiveInputStream {
        Reader(InputStream in) {
            super(in, "UTF-8");
        }

        @Override
        protected byte[] readRecord() throws IOException {
            byte[] record = in.readNBytes(getRecordSize());
            if (record.length == 0) {
                return null; // the stream ends without the two zero blocks: the end all the same
            }
            if (record.length < getRecordSize()) {
                throw new IOException("archive is truncated inside a tar header");
            }
            if (!isEOFRecord(record) && !checksumMatches(record)) {
                throw new IOException("archive is not a tar file (header checksum mismatch)");
            }
            return record;
        }

        private static boolean checksumMatches(byte[] header) {
            try {
                return TarUtils.verifyCheckSum(header);
            } catch (IllegalArgumentException notOctal) {
                return false;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            TarArchiveEntry e = getCurrentEntry();
            if (e != null && (e.isPaxHeader() || e.isGNULongNameEntry() || e.isGNULongLinkEntry())
                    && e.getSize() > MAX_EXTENDED_HEADER) {
                throw new IOException("archive tar extended header is larger than " + MAX_EXTENDED_HEADER + " bytes");
            }
            return super.read(b, off, len);
        }

        /** The next regular file (other entries are skipped), or null at the end. */
        TarArchiveEntry nextFile() throws IOException {
            for (TarArchiveEntry e; (e = getNextEntry()) != null; ) {
                byte type = e.getLinkFlag();
                if (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG) {
                    return e;
                }
            }
            return null;
        }
    }

    /** A writer of entries owned by root with mtime 0, so that equal content gives an equal digest. */
    static final class Writer extends TarArchiveOutputStream {
        Writer(OutputStream out) {
            super(out, "UTF-8");
            setLongFileMode(LONGFILE_POSIX);
            setBigNumberMode(BIGNUMBER_POSIX);
        }

        void file(String name, byte[] data) throws IOException {
            file(name, 0644, data.length, new ByteArrayInputStream(data));
        }

        void file(String name, int mode, long size, InputStream body) throws IOException {
            TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
            e.setSize(size);
            putArchiveEntry(e);
            long copied = body.transferTo(this);
            if (copied != size) {
                throw new IOException("tar entry " + name + " changed size while writing: " + copied + " != " + size);
            }
            closeArchiveEntry();
        }

        void directory(String name, int mode) throws IOException {
            putArchiveEntry(entry(name, TarConstants.LF_DIR, mode));
            closeArchiveEntry();
        }

        void symlink(String name, String target) throws IOException {
            TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
            e.setLinkName(target);
            putArchiveEntry(e);
            closeArchiveEntry();
        }

        private static TarArchiveEntry entry(String name, byte type, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name, type);
            e.setMode(mode);
            e.setIds(0, 0);
            e.setUserName("");
            e.setGroupName("");
            e.setLastModifiedTime(FileTime.fromMillis(0));
            return e;
        }
    }
}
