package io.msb.store.internal;

import static io.msb.store.internal.Database.first;
import static io.msb.store.internal.Database.query;
import static io.msb.store.internal.Database.update;

import io.msb.api.Check;
import io.msb.api.MsbException;
import io.msb.api.spi.SecretStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@link SecretStore} over the bundle's {@link Database} (migration V5, decision 1315): each value is encrypted with
 * AES-256-GCM under the installation's key, a fresh 12-byte nonce per write, the reference as additional
 * authenticated data. The key is 32 random bytes in {@code $MSB_HOME/secret.key} (mode 0600), made on first use;
 * two processes making it at once agree on one (the file appears whole through a hard link, never replaced). No
 * exception or log line here carries a value.
 */
public final class JdbcSecretStore implements SecretStore {
    static final String KEY_FILE = "secret.key";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final Path keyFile;
    private volatile SecretKey key;

    public JdbcSecretStore(Database db, Path home) {
        this.db = Objects.requireNonNull(db, "db");
        this.keyFile = home.toAbsolutePath().resolve(KEY_FILE);
    }

    @Override
    public void put(String reference, String value) {
        reference(reference);
        Check.required("value", value);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, reference, nonce, value.getBytes(StandardCharsets.UTF_8));
        db.write("putSecret", null, c -> {
            if (update(c, "UPDATE secrets SET nonce = ?, ciphertext = ?, updated_at = ? WHERE reference = ?", nonce,
                    sealed, Instant.now(), reference) == 0) {
                update(c, "INSERT INTO secrets (reference, nonce, ciphertext, updated_at) VALUES (?, ?, ?, ?)",
                        reference, nonce, sealed, Instant.now());
            }
            return null;
        });
    }

    @Override
    public Optional<String> get(String reference) {
        reference(reference);
        Optional<byte[][]> row = db.read("getSecret", c -> first(query(c,
                "SELECT nonce, ciphertext FROM secrets WHERE reference = ?", List.of(reference),
                rs -> new byte[][] {rs.getBytes(1), rs.getBytes(2)})));
        return row.map(r -> new String(crypt(Cipher.DECRYPT_MODE, reference, r[0], r[1]), StandardCharsets.UTF_8));
    }

    @Override
    public void removeAll(String prefix) {
        Check.required("prefix", prefix);
        db.write("removeSecrets", null, c -> update(c, "DELETE FROM secrets WHERE reference LIKE ? ESCAPE '\\'",
                startingWith(prefix)));
    }

    /** How many values are kept under {@code prefix} (tests, diagnostics). */
    int count(String prefix) {
        return db.read("countSecrets", c -> query(c, "SELECT COUNT(*) FROM secrets WHERE reference LIKE ? ESCAPE '\\'",
                List.of(startingWith(prefix)), rs -> rs.getInt(1)).get(0));
    }

    /** A LIKE pattern (escape character backslash) matching the references that start with {@code prefix}. */
    private static String startingWith(String prefix) {
        return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    private static void reference(String reference) {
        Check.notEmpty("reference", reference, 1024);
    }

    private byte[] crypt(int mode, String reference, byte[] nonce, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, key(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(reference.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            // the message names the reference and the cause's class only: never bytes of the value
            throw new MsbException("cannot " + (mode == Cipher.ENCRYPT_MODE ? "encrypt" : "decrypt") + " secret "
                    + reference + " (" + e.getClass().getSimpleName() + "): is " + keyFile
                    + " the key it was stored with?");
        }
    }

    private SecretKey key() {
        SecretKey k = key;
        if (k == null) {
            synchronized (this) {
                k = key;
                if (k == null) {
                    k = new SecretKeySpec(loadOrCreateKey(keyFile), "AES");
                    key = k;
                }
            }
        }
        return k;
    }

    /**
     * The key in {@code file}, made first if there is none: written to a private temporary file (0600 from its
     * creation) and linked to its name, which fails if another process made it meanwhile; that one is read then.
     */
    static byte[] loadOrCreateKey(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                byte[] fresh = new byte[KEY_BYTES];
                RANDOM.nextBytes(fresh);
                Path tmp = Files.createTempFile(file.getParent(), ".secret-key-", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.write(tmp, fresh);
                    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                    try {
                        Files.createLink(file, tmp);
                    } catch (FileAlreadyExistsException raced) {
                        // another process made it first: theirs is the key
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != KEY_BYTES) {
                throw new MsbException("the secret store's key " + file + " has " + bytes.length + " bytes, not "
                        + KEY_BYTES + ": it is damaged");
            }
            return bytes;
        } catch (IOException e) {
            throw new MsbException("cannot read or create the secret store's key " + file + ": " + e.getMessage(), e);
        }
    }
}
