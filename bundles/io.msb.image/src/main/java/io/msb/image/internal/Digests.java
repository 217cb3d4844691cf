package io.msb.image.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 digests: the only algorithm the cache stores, so every digest is checked against it. */
final class Digests {
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private Digests() {
    }

    static boolean isValid(String digest) {
        return digest != null && SHA256.matcher(digest).matches();
    }

    /** Returns {@code digest} or throws naming {@code field}. */
    static String requireValid(String field, String digest) {
        if (!isValid(digest)) {
            throw Invalid.of(field, "must be sha256:<64 lowercase hex digits>, got '"
                    + (digest == null ? "null" : digest.length() > 80 ? digest.substring(0, 80) + "…" : digest) + "'");
        }
        return digest;
    }

    static String hex(String digest) {
        return digest.substring("sha256:".length());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    static String of(byte[] data) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(data));
    }

    static String of(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }
}
