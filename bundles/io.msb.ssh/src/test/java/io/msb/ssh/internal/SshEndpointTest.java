package io.msb.ssh.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoint started for real on 127.0.0.1 and reached with MINA's own client (no sandbox needed to log in). */
class SshEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path home;

    /** The configuration with defaults, except what a test sets. */
    private static SshConfig config(Path home, int port, boolean enabled) {
        return new SshConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return SshConfig.class;
            }

            @Override
            public boolean enabled() {
                return enabled;
            }

            @Override
            public String bindAddress() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public String home() {
                return home.toString();
            }

            @Override
            public String hostKeyFile() {
                return "";
            }

            @Override
            public int maxConnections() {
                return 4;
            }

            @Override
            public int maxChannelsPerConnection() {
                return 2;
            }

            @Override
            public int idleTimeoutSecs() {
                return 60;
            }

            @Override
            public int maxOpenFilesPerSftpSession() {
                return 4;
            }
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Logs in as {@code user} with a password or a key; returns the server's host key, or throws. */
    private static PublicKey login(int port, String user, String password, KeyPair key) throws IOException {
        SshClient client = SshClient.setUpDefaultClient();
        client.start();
        try (ClientSession session = client.connect(user, "127.0.0.1", port).verify(WAIT).getSession()) {
            if (password != null) {
                session.addPasswordIdentity(password);
            }
            if (key != null) {
                session.addPublicKeyIdentity(key);
            }
            session.auth().verify(WAIT);
            return session.getServerKey();
        } finally {
            client.stop();
        }
    }

    @Test
    void aBadPortIsRefusedNamingTheField() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new SshEndpoint(null, config(home, 0, true)));
        assertTrue(e.getMessage().contains("port"), e.getMessage());
    }

    @Test
    void disabledListensNowhere() throws IOException {
        new SshEndpoint(null, config(home, 1, false)).stop();
        assertTrue(Files.notExists(home.resolve("ssh")));
    }

    @Test
    void publicKeysOnlyAndAHostKeyKeptAcrossRestarts() throws Exception {
        int port = freePort();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair authorized = generator.generateKeyPair();
        KeyPair stranger = generator.generateKeyPair();
        SshEndpoint endpoint = new SshEndpoint(null, config(home, port, true));
        PublicKey first;
        try {
            Path ssh = home.resolve("ssh");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ssh)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ssh.resolve("host_key"))));
            Files.writeString(ssh.resolve("authorized_keys"), PublicKeyEntry.toString(authorized.getPublic()) + "\n");

            first = login(port, "box", null, authorized);
            assertThrows(IOException.class, () -> login(port, "box", null, stranger));
            assertThrows(IOException.class, () -> login(port, "box", "any password", null));
        } finally {
            endpoint.stop();
        }
        SshEndpoint again = new SshEndpoint(null, config(home, port, true));
        try {
            assertTrue(KeyUtils.compareKeys(first, login(port, "box", null, authorized)),
                    "the host key generated on first start is the one a restart serves");
        } finally {
            again.stop();
        }
    }
}
