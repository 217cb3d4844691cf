package io.msb.ssh.internal;

import io.msb.api.Check;
import io.msb.api.MsbHome;
import io.msb.api.SandboxService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.scp.server.ScpCommandFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.sftp.SftpModuleProperties;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The SSH server (decision 1050): {@code ssh -p PORT NAME@HOST} opens a shell in sandbox NAME, an exec request runs
 * the command there, and sftp and scp reach its files through its agent. Public keys only (decision 1051).
 */
@Component(service = {}, immediate = true, configurationPid = SshConfig.PID)
@Designate(ocd = SshConfig.class)
public final class SshEndpoint {
    private static final System.Logger LOG = System.getLogger(SshEndpoint.class.getName());
    /** Authentication attempts one connection may make (OpenSSH's MaxAuthTries). */
    private static final int MAX_AUTH_ATTEMPTS = 6;
    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(30);

    private final SshServer server;

    @Activate
    public SshEndpoint(@Reference(name = "sandboxes") SandboxService sandboxes, SshConfig config) throws IOException {
        Check.range("port", config.port(), 1, 65535);
        Check.notEmpty("bindAddress", config.bindAddress(), 255);
        Check.range("maxConnections", config.maxConnections(), 1, Integer.MAX_VALUE);
        Check.range("maxChannelsPerConnection", config.maxChannelsPerConnection(), 1, Integer.MAX_VALUE);
        Check.range("idleTimeoutSecs", config.idleTimeoutSecs(), 10, Integer.MAX_VALUE);
        Check.range("maxOpenFilesPerSftpSession", config.maxOpenFilesPerSftpSession(), 1, Integer.MAX_VALUE);
        if (!config.enabled()) {
            server = null;
            return;
        }
        Path sshDir = MsbHome.resolve(config.home()).resolve("ssh");
        createPrivateDirectory(sshDir);
        Path hostKey = config.hostKeyFile().isBlank() ? sshDir.resolve("host_key") : Path.of(config.hostKeyFile());
        // MINA loads its security providers through the context class loader; a framework's (or a test's) may hold
        // another copy of MINA, whose classes are not this bundle's
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SshServer.class.getClassLoader());
        try {
            server = start(sandboxes, config, sshDir, hostKey);
        } finally {
            thread.setContextClassLoader(previous);
        }
        LOG.log(System.Logger.Level.INFO, "SSH into sandboxes on {0}:{1} (keys in {2})", config.bindAddress(),
                Integer.toString(server.getPort()), sshDir);
    }

    private static SshServer start(SandboxService sandboxes, SshConfig config, Path sshDir, Path hostKey)
            throws IOException {
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost(config.bindAddress());
        server.setPort(config.port());
        server.setKeyPairProvider(hostKeyProvider(hostKey));
        server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        server.setPublickeyAuthenticator(new AuthorizedKeys(sshDir));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        SandboxChannels channels = new SandboxChannels(sandboxes, new SftpSubsystemFactory.Builder()
                .withFileSystemAccessor(new SandboxSftpAccessor()).build());
        server.setShellFactory(channels);
        server.setCommandFactory(new ScpCommandFactory.Builder().withDelegate(channels).build());
        server.setSubsystemFactories(List.of(channels));
        server.setFileSystemFactory(new SandboxFileSystems(sandboxes));
        CoreModuleProperties.MAX_CONCURRENT_SESSIONS.set(server, config.maxConnections());
        CoreModuleProperties.MAX_CONCURRENT_CHANNELS.set(server, config.maxChannelsPerConnection());
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ofSeconds(config.idleTimeoutSecs()));
        CoreModuleProperties.AUTH_TIMEOUT.set(server, AUTH_TIMEOUT);
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, MAX_AUTH_ATTEMPTS);
        SftpModuleProperties.MAX_OPEN_HANDLES_PER_SESSION.set(server, config.maxOpenFilesPerSftpSession());
        server.start();
        return server;
    }

    /** The host key, generated on first start; readable by the owner only. */
    static SimpleGeneratorHostKeyProvider hostKeyProvider(Path file) {
        SimpleGeneratorHostKeyProvider provider = new SimpleGeneratorHostKeyProvider(file);
        provider.setAlgorithm("EC");
        provider.setKeySize(256);
        provider.loadKeys(null); // generates and writes it now, not at the first connection
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException("hostKeyFile: cannot make " + file + " owner-only", e);
        }
        return provider;
    }

    /** The directory of the host key and authorized keys: the owner's only, as OpenSSH wants ~/.ssh. */
    private static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    @Deactivate
    void stop() throws IOException {
        if (server != null) {
            server.stop(true);
        }
    }
}
