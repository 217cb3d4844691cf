package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Encodes an inode's xattrs as an EROFS inline xattr body (no shared xattrs, no name filter, no empty values). */
final class Xattrs {
    private static final int HEADER = 12;
    private static final int MAX_BODY = HEADER + 0xfffe * 4; // i_xattr_icount is 16 bits

    private Xattrs() {
    }

    /** The prefix index and the rest of the name, or null for a namespace EROFS cannot store. */
    record Name(int index, byte[] suffix) {
    }

    static Name split(String name) {
        if (name.equals("system.posix_acl_access")) {
            return new Name(2, new byte[0]);
        }
        if (name.equals("system.posix_acl_default")) {
            return new Name(3, new byte[0]);
        }
        String[][] prefixes = {{"user.", "1"}, {"trusted.", "4"}, {"security.", "6"}};
        for (String[] p : prefixes) {
            if (name.startsWith(p[0]) && name.length() > p[0].length()) {
                return new Name(Integer.parseInt(p[1]), name.substring(p[0].length()).getBytes(StandardCharsets.UTF_8));
            }
        }
        return null;
    }

    static byte[] encode(Map<String, byte[]> xattrs) {
        if (xattrs.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[HEADER]);
        for (var e : xattrs.entrySet()) {
            Name n = split(e.getKey());
            if (n == null) {
                continue; // e.g. an unknown "system." attribute: the kernel could not return it anyway
            }
            byte[] v = e.getValue();
            if (v.length == 0) {
                continue; // as Go's archive/tar (umoci, Docker, containerd): an empty PAX value is no xattr
            }
            if (n.suffix().length > 255 || v.length > 0xffff) {
                throw new MsbException("xattr " + e.getKey() + ": name must be <= 255 bytes after its prefix and value <= 65535 bytes");
            }
            out.write(n.suffix().length);
            out.write(n.index());
            out.write(v.length & 0xff);
            out.write(v.length >>> 8);
            out.writeBytes(n.suffix());
            out.writeBytes(v);
            int entry = 4 + n.suffix().length + v.length;
            out.writeBytes(new byte[(4 - (entry & 3)) & 3]);
        }
        if (out.size() == HEADER) {
            return new byte[0];
        }
        if (out.size() > MAX_BODY) {
            throw new MsbException("xattrs of one file take " + out.size() + " bytes (max " + MAX_BODY + ")");
        }
        return out.toByteArray();
    }
}
