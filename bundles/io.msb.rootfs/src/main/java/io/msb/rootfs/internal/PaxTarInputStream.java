package io.msb.rootfs.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A tar reader that also keeps the raw bytes of each entry's PAX extended header. Commons Compress
 * decodes PAX values as UTF-8 text, which corrupts binary xattr values (e.g. {@code security.capability});
 * it reads the header through this stream, so we see the original bytes and parse the xattr records
 * ourselves.
 */
final class PaxTarInputStream extends TarArchiveInputStream {
    private static final String SCHILY = "SCHILY.xattr.";
    private static final int MAX_PAX = 1 << 20;
    private final ByteArrayOutputStream pax = new ByteArrayOutputStream();

    PaxTarInputStream(InputStream in) {
        super(in, "UTF-8");
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        TarArchiveEntry cur = getCurrentEntry();
        if (n > 0 && cur != null && cur.isPaxHeader()) {
            if (pax.size() + n > MAX_PAX) {
                throw new IOException("PAX header larger than " + MAX_PAX + " bytes");
            }
            pax.write(b, off, n);
        }
        return n;
    }

    /** The next entry and its {@code SCHILY.xattr.*} values exactly as archived (empty map if none). */
    TarArchiveEntry next(Map<String, byte[]> xattrs) throws IOException {
        pax.reset();
        TarArchiveEntry e = getNextEntry();
        xattrs.clear();
        if (e != null && pax.size() > 0) {
            xattrs.putAll(schilyXattrs(pax.toByteArray()));
        }
        return e;
    }

    /** Parses PAX records ({@code "<len> <key>=<value>\n"}) keeping values as bytes. */
    static Map<String, byte[]> schilyXattrs(byte[] data) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        int pos = 0;
        while (pos < data.length && data[pos] != 0) {
            int sp = pos;
            int len = 0;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && sp - pos < 9) {
                len = len * 10 + (data[sp++] - '0');
            }
            if (sp >= data.length || data[sp] != ' ' || len <= sp - pos + 1 || pos + len > data.length
                    || data[pos + len - 1] != '\n') {
                throw new IOException("malformed PAX record at byte " + pos);
            }
            int eq = sp + 1;
            while (eq < pos + len && data[eq] != '=') {
                eq++;
            }
            if (eq >= pos + len) {
                throw new IOException("malformed PAX record at byte " + pos);
            }
            String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            if (key.startsWith(SCHILY)) {
                out.put(key.substring(SCHILY.length()), Arrays.copyOfRange(data, eq + 1, pos + len - 1));
            }
            pos += len;
        }
        return out;
    }
}
