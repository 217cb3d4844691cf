package io.msb.ssh.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;

/**
 * Who may log in as which sandbox (decision 1051): a key in {@code <ssh>/authorized_keys} opens every sandbox, a key
 * in {@code <ssh>/sandboxes/<name>/authorized_keys} opens that one. The files are read at every attempt, so an edit
 * takes effect at once. Lines with options ({@code command=}, {@code from=}…) are skipped: honouring only some of
 * OpenSSH's restrictions would grant more than the line says.
 */
final class AuthorizedKeys implements PublickeyAuthenticator {
    private static final System.Logger LOG = System.getLogger(AuthorizedKeys.class.getName());
    /** The platform's sandbox names (1..128 bytes, starting alphanumeric): never a path other than one directory. */
    private static final Pattern SANDBOX_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** An authorized_keys file larger than this is ignored: a key line is at most a few KiB. */
    static final long MAX_FILE_BYTES = 1 << 20;

    private final Path sshDir;

    AuthorizedKeys(Path sshDir) {
        this.sshDir = sshDir;
    }

    /** The server-wide file. */
    Path serverWide() {
        return sshDir.resolve("authorized_keys");
    }

    /** The file of one sandbox; the name must be a sandbox name. */
    Path ofSandbox(String name) {
        if (!isSandboxName(name)) {
            throw new IllegalArgumentException("user: '" + name + "' is not a sandbox name (1-128 letters, digits,"
                    + " '.', '_', '-', starting with a letter or digit)");
        }
        return sshDir.resolve("sandboxes").resolve(name).resolve("authorized_keys");
    }

    static boolean isSandboxName(String name) {
        return name != null && SANDBOX_NAME.matcher(name).matches();
    }

    @Override
    public boolean authenticate(String user, PublicKey key, ServerSession session) {
        return lists(serverWide(), key) || (isSandboxName(user) && lists(ofSandbox(user), key));
    }

    /** Whether {@code file} has a line without options for {@code key}; a missing file lists nothing. */
    static boolean lists(Path file, PublicKey key) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                LOG.log(System.Logger.Level.WARNING, "{0} is larger than {1} bytes; ignored", file, MAX_FILE_BYTES);
                return false;
            }
            try (InputStream in = Files.newInputStream(file)) {
                for (AuthorizedKeyEntry entry : AuthorizedKeyEntry.readAuthorizedKeys(in, true)) {
                    if (!entry.getLoginOptions().isEmpty()) {
                        LOG.log(System.Logger.Level.WARNING, "{0}: a key with options {1} is ignored (options are not"
                                + " supported)", file, entry.getLoginOptions().keySet());
                        continue;
                    }
                    PublicKey listed = entry.resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
                    if (listed != null && KeyUtils.compareKeys(listed, key)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read {0}: {1}", file, e.getMessage());
            return false;
        }
    }
}
