package io.msb.http.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The bearer keys the API accepts: the configured ones, else the one in {@code <home>/api-key}, made on first
 * use (mode 0600, {@code msb_} + 32 random bytes base64url). Keys are compared in constant time and never logged.
 */
final class ApiKeys {
    static final String FILE = "api-key";
    private static final int MAX_KEY_CHARS = 512;
    private final List<byte[]> keys;

    private ApiKeys(List<byte[]> keys) {
        this.keys = keys;
    }

    static ApiKeys of(String[] configured, Path home) {
        List<String> given = configured == null ? List.of()
                : Arrays.stream(configured).map(String::strip).filter(k -> !k.isEmpty()).toList();
        for (String k : given) {
            if (k.length() > MAX_KEY_CHARS) {
                throw new IllegalArgumentException("apiKeys: a key must be at most " + MAX_KEY_CHARS + " characters");
            }
        }
        return new ApiKeys((given.isEmpty() ? List.of(fileKey(home.resolve(FILE))) : given).stream()
                .map(k -> k.getBytes(StandardCharsets.UTF_8)).toList());
    }

    /** Whether an {@code Authorization} header value carries one of the keys. */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] key : keys) {
            ok |= MessageDigest.isEqual(key, given); // no early exit: every key is compared
        }
        return ok;
    }

    private static String fileKey(Path file) {
        try {
            if (Files.notExists(file)) {
                Files.createDirectories(file.getParent());
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                String key = "msb_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                // Written aside, then linked into place (atomic, fails if it exists): a concurrent reader, such as the
                // agent WebSocket's component activating beside the servlet, never sees the file empty.
                Path aside = Files.createTempFile(file.getParent(), FILE, ".new", PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.write(aside, key.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
                    Files.createLink(file, aside);
                    return key;
                } catch (FileAlreadyExistsException raced) {
                    // Another process made it first: use theirs.
                } finally {
                    Files.deleteIfExists(aside);
                }
            }
            if (Files.size(file) > MAX_KEY_CHARS) {
                throw new IllegalStateException(file + ": an API key file must be at most " + MAX_KEY_CHARS + " bytes");
            }
            String key = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (key.isEmpty()) {
                throw new IllegalStateException(file + ": the API key file is empty; delete it to make a new key");
            }
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the API key file " + file, e);
        }
    }
}
