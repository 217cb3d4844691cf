package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.SandboxHandle;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The host's OpenSSH client (ssh, sftp, scp) against the platform's SSH endpoint (io.msb.ssh) and a real sandbox:
 * commands, a terminal, exit statuses, files both ways, and every refusal a user can meet.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES) // a hang guard, not a time assertion
class SshIT {
    private static final String NAME = "e2e-ssh";

    @RegisterExtension
    static final SharedSandbox SANDBOX = new SharedSandbox(platform -> platform.create(NAME, false));

    private static Path keys;
    private static int port;

    /** ssh's output, the two streams apart. */
    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    /**
     * Three key pairs: {@code server} in the server-wide authorized_keys, {@code sandbox} in this sandbox's own file,
     * {@code stranger} in neither.
     */
    @BeforeAll
    static void keys(Platform platform) throws Exception {
        for (String tool : List.of("ssh", "sftp", "scp", "ssh-keygen")) {
            assumeTrue(Platform.onPath(tool), "SshIT needs OpenSSH's " + tool + " (apt-get install openssh-client)");
        }
        port = platform.sshPort;
        keys = Files.createTempDirectory("msb-ssh-it-");
        for (String key : List.of("server", "sandbox", "stranger")) {
            run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key, "-f", keys.resolve(key).toString()));
        }
        Path ssh = platform.home.resolve("ssh");
        Files.writeString(ssh.resolve("authorized_keys"), Files.readString(keys.resolve("server.pub")));
        Path own = Files.createDirectories(ssh.resolve("sandboxes").resolve(NAME)).resolve("authorized_keys");
        Files.writeString(own, Files.readString(keys.resolve("sandbox.pub")));
    }

    @AfterAll
    static void removeKeys() throws IOException {
        HostCommand.delete(keys);
    }

    /** The options every client here uses: this key only, no prompts, no known_hosts, no user configuration. */
    private static List<String> options(String key) {
        return List.of("-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-i",
                keys.resolve(key).toString());
    }

    private static Result ssh(String key, String user, String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ssh"));
        argv.addAll(options(key));
        argv.addAll(List.of("-p", Integer.toString(port), user + "@127.0.0.1"));
        argv.addAll(List.of(command));
        return run(argv);
    }

    private static Result run(List<String> argv) throws Exception {
        Path out = Files.createTempFile("msb-ssh-it-", ".out");
        Path err = Files.createTempFile("msb-ssh-it-", ".err");
        try {
            Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(new File("/dev/null")).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(argv + " did not finish within 5 minutes");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    @Test
    void unameRunsInTheSandbox(SandboxHandle box) throws Exception {
        Result r = ssh("server", NAME, "uname", "-a");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stdout().startsWith("Linux "), r.toString());
        Result hostname = ssh("server", NAME, "cat /proc/sys/kernel/hostname");
        assertEquals(Platform.sh(box, "cat /proc/sys/kernel/hostname").stdoutText(), hostname.stdout(), r.toString());
    }

    @Test
    void exitStatusAndStderrAreTheCommands() throws Exception {
        Result r = ssh("server", NAME, "echo out; echo err >&2; exit 7");
        assertEquals(new Result(7, "out\n", "err\n"), r);
    }

    @Test
    void stdinReachesTheCommand() throws Exception {
        Path input = Files.writeString(keys.resolve("stdin.txt"), "line one\nline two\n");
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "exec ssh \"$@\" < " + input, "ssh"));
        argv.addAll(options("server"));
        argv.addAll(List.of("-p", Integer.toString(port), NAME + "@127.0.0.1", "wc -l"));
        Result r = run(argv);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("2", r.stdout().trim(), r.toString());
    }

    @Test
    void aShellReadsItsCommandsWithAndWithoutATerminal() throws Exception {
        Path script = Files.writeString(keys.resolve("shell.txt"), "echo shell-$((6 * 7))\nexit 5\n");
        for (String tty : List.of("-T", "-tt")) { // -T: a shell request without a pty; -tt: with one
            List<String> argv = new ArrayList<>(List.of("sh", "-c", "exec ssh \"$@\" < " + script, "ssh", tty));
            argv.addAll(options("server"));
            argv.addAll(List.of("-p", Integer.toString(port), NAME + "@127.0.0.1"));
            Result r = run(argv);
            assertEquals(5, r.exit(), tty + " " + r);
            assertTrue(r.stdout().contains("shell-42"), tty + " " + r);
        }
    }

    @Test
    void aTerminalIsAGuestPty() throws Exception {
        // -tt: a pty although this test has no terminal of its own; its size is the default 24x80
        Result r = ssh("server", NAME, "-tt", "tty; stty size; exit 3");
        assertEquals(3, r.exit(), r.toString());
        assertTrue(r.stdout().startsWith("/dev/pts/"), r.toString());
        assertTrue(r.stdout().contains("24 80"), r.toString());
    }

    @Test
    void sftpPutsAndGetsAFile() throws Exception {
        byte[] content = new byte[3 << 20]; // several sftp requests each way, and a partial last one
        new Random(14).nextBytes(content);
        Path local = Files.write(keys.resolve("up.bin"), content);
        Path back = keys.resolve("down.bin");
        Path batch = Files.writeString(keys.resolve("batch"), String.join("\n",
                "mkdir /tmp/sftp-it",
                "put " + local + " /tmp/sftp-it/file.bin",
                "ls -l /tmp/sftp-it",
                "get /tmp/sftp-it/file.bin " + back,
                "rename /tmp/sftp-it/file.bin /tmp/sftp-it/renamed.bin",
                "rm /tmp/sftp-it/renamed.bin",
                "rmdir /tmp/sftp-it", ""));
        List<String> argv = new ArrayList<>(List.of("sftp"));
        argv.addAll(options("server"));
        argv.addAll(List.of("-P", Integer.toString(port), "-b", batch.toString(), NAME + "@127.0.0.1"));
        Result r = run(argv);
        assertEquals(0, r.exit(), r.toString());
        assertArrayEquals(content, Files.readAllBytes(back));
        assertTrue(r.stdout().contains("file.bin"), r.toString()); // the listing
        assertEquals(1, ssh("server", NAME, "test -e /tmp/sftp-it").exit(), "the directory was removed");
    }

    @Test
    void scpCopiesBothWays() throws Exception {
        Path local = Files.writeString(keys.resolve("scp.txt"), "through scp\n");
        Path back = keys.resolve("scp-back.txt");
        for (String protocol : List.of("-s", "-O")) { // the sftp protocol (OpenSSH 9's default) and legacy scp
            Files.deleteIfExists(back);
            List<String> put = new ArrayList<>(List.of("scp", protocol, "-P", Integer.toString(port)));
            put.addAll(options("server"));
            put.addAll(List.of(local.toString(), NAME + "@127.0.0.1:/tmp/scp.txt"));
            Result up = run(put);
            assertEquals(0, up.exit(), protocol + " " + up);
            List<String> get = new ArrayList<>(List.of("scp", protocol, "-P", Integer.toString(port)));
            get.addAll(options("server"));
            get.addAll(List.of(NAME + "@127.0.0.1:/tmp/scp.txt", back.toString()));
            Result down = run(get);
            assertEquals(0, down.exit(), protocol + " " + down);
            assertEquals("through scp\n", Files.readString(back), protocol);
        }
    }

    @Test
    void aSandboxsOwnKeyOpensThatSandboxOnly() throws Exception {
        assertEquals(0, ssh("sandbox", NAME, "true").exit());
        Result other = ssh("sandbox", "other-sandbox", "true");
        assertEquals(255, other.exit(), other.toString());
        assertTrue(other.stderr().contains("Permission denied (publickey)"), other.toString());
    }

    @Test
    void anUnknownKeyIsRefused() throws Exception {
        Result r = ssh("stranger", NAME, "true");
        assertEquals(255, r.exit(), r.toString());
        assertTrue(r.stderr().contains("Permission denied (publickey)"), r.toString());
    }

    @Test
    void passwordsAreNotOffered() throws Exception {
        List<String> argv = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
                "-o", "PreferredAuthentications=password,keyboard-interactive", "-p", Integer.toString(port),
                NAME + "@127.0.0.1", "true"));
        Result r = run(argv);
        assertEquals(255, r.exit(), r.toString());
        // the server lists what it accepts: public keys only
        assertTrue(r.stderr().contains("Permission denied (publickey)"), r.toString());
    }

    @Test
    void anUnknownSandboxIsNamedInTheRefusal() throws Exception {
        Result r = ssh("server", "no-such-sandbox", "true");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.stderr().contains("msb: no sandbox named 'no-such-sandbox'"), r.toString());
        List<String> sftp = new ArrayList<>(List.of("sftp"));
        sftp.addAll(options("server"));
        sftp.addAll(List.of("-P", Integer.toString(port), "-b", "/dev/null", "no-such-sandbox@127.0.0.1"));
        Result s = run(sftp);
        assertTrue(s.exit() != 0, s.toString());
        assertTrue(s.stderr().contains("msb: no sandbox named 'no-such-sandbox'"), s.toString());
    }
}
