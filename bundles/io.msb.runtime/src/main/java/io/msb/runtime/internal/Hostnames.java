package io.msb.runtime.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Guest hostnames derived from sandbox names, as microsandbox derives them. */
final class Hostnames {
    private static final int HASH_HEX_LEN = 8;

    private Hostnames() {
    }

    /**
     * A name that fits in 64 bytes is its own hostname; a longer one becomes its first 55 bytes (cut back to a
     * UTF-8 character boundary), a hyphen and the first 8 hex digits of its SHA-256, so that distinct long
     * names very rarely share a hostname.
     */
    static String fromSandboxName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= SpecValidator.MAX_HOSTNAME_BYTES) {
            return name;
        }
        int end = SpecValidator.MAX_HOSTNAME_BYTES - 1 - HASH_HEX_LEN;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--; // a continuation byte: the cut would split a character
        }
        String suffix = HexFormat.of().formatHex(sha256(bytes), 0, HASH_HEX_LEN / 2);
        return new String(bytes, 0, end, StandardCharsets.UTF_8) + "-" + suffix;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
