package io.msb.ssh.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthorizedKeysTest {
    @TempDir
    Path ssh;
    private AuthorizedKeys keys;
    private PublicKey alice;
    private PublicKey bob;

    @BeforeEach
    void setUp() throws Exception {
        keys = new AuthorizedKeys(ssh);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        alice = generator.generateKeyPair().getPublic();
        bob = generator.generateKeyPair().getPublic();
    }

    private static String line(PublicKey key, String comment) {
        return PublicKeyEntry.toString(key) + " " + comment + "\n";
    }

    private void authorize(Path file, String... lines) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("", lines));
    }

    @Test
    void noFilesNoEntry() {
        assertFalse(keys.authenticate("box", alice, null));
    }

    @Test
    void aServerWideKeyOpensEverySandbox() throws Exception {
        authorize(keys.serverWide(), "# the operator\n", line(alice, "alice@host"));
        assertTrue(keys.authenticate("box", alice, null));
        assertTrue(keys.authenticate("another", alice, null));
        assertFalse(keys.authenticate("box", bob, null));
    }

    @Test
    void aSandboxsKeyOpensThatSandboxOnly() throws Exception {
        authorize(keys.ofSandbox("box"), line(bob, "bob"));
        assertTrue(keys.authenticate("box", bob, null));
        assertFalse(keys.authenticate("box2", bob, null));
        assertFalse(keys.authenticate("box", alice, null));
    }

    @Test
    void aKeyWithOptionsIsIgnored() throws Exception {
        authorize(keys.serverWide(), "command=\"/bin/true\" " + line(alice, "restricted"), line(bob, "plain"));
        assertFalse(keys.authenticate("box", alice, null), "the restriction cannot be honoured, so no entry");
        assertTrue(keys.authenticate("box", bob, null), "the other lines still count");
    }

    @Test
    void anOversizedFileIsIgnored() throws Exception {
        StringBuilder big = new StringBuilder(line(alice, "alice"));
        while (big.length() <= AuthorizedKeys.MAX_FILE_BYTES) {
            big.append("# padding padding padding padding padding padding padding padding padding padding\n");
        }
        authorize(keys.serverWide(), big.toString());
        assertFalse(keys.authenticate("box", alice, null));
    }

    @Test
    void userNamesThatAreNotSandboxNamesNeverReachAPath() throws Exception {
        // a key in a file that "../authorized_keys"-style names would reach
        authorize(ssh.resolve("sandboxes/authorized_keys"), line(bob, "bob"));
        authorize(ssh.resolve("authorized_keys2"), line(bob, "bob"));
        for (String user : new String[] {"..", "../..", "a/b", ".hidden", "", "x".repeat(129)}) {
            assertFalse(keys.authenticate(user, bob, null), user);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys.ofSandbox(".."));
        assertTrue(e.getMessage().startsWith("user: '..' is not a sandbox name"), e.getMessage());
    }

    @Test
    void sandboxNamesFollowThePlatformsRule() {
        assertTrue(AuthorizedKeys.isSandboxName("a"));
        assertTrue(AuthorizedKeys.isSandboxName("web-1.prod_x"));
        assertTrue(AuthorizedKeys.isSandboxName("x".repeat(128)));
        assertFalse(AuthorizedKeys.isSandboxName("-a"));
        assertFalse(AuthorizedKeys.isSandboxName("a b"));
        assertFalse(AuthorizedKeys.isSandboxName(null));
    }
}
