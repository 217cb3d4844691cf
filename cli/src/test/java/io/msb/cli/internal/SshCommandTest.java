package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SshCommandTest {
    private static SshCommand parse(Map<String, String> env, String... args) {
        Cli cli = new Cli(new ByteArrayOutputStream(), new ByteArrayOutputStream(), new ByteArrayInputStream(new byte[0]),
                env, null);
        String[] all = new String[args.length + 1];
        all[0] = "ssh";
        System.arraycopy(args, 0, all, 1, args.length);
        return (SshCommand) Main.commandLine(cli).parseArgs(all).subcommand().commandSpec().userObject();
    }

    @Test
    void aShellGoesToTheServersHostAndDefaultPort() {
        assertEquals(List.of("ssh", "-p", "2222", "--", "box@127.0.0.1"), parse(Map.of(), "box").argv(true));
        assertEquals(List.of("ssh", "-p", "2222", "--", "box@10.0.0.5"),
                parse(Map.of("MSB_API_URL", "http://10.0.0.5:5555"), "box").argv(true));
    }

    @Test
    void aCommandFromATerminalGetsOne() {
        assertEquals(List.of("ssh", "-p", "2200", "-i", "k", "-t", "--", "box@127.0.0.1", "top", "-b"),
                parse(Map.of("MSB_SSH_PORT", "2200"), "-i", "k", "box", "--", "top", "-b").argv(true));
        assertEquals(List.of("ssh", "-p", "7", "--", "box@127.0.0.1", "uname", "-a"),
                parse(Map.of(), "-p", "7", "box", "uname", "-a").argv(false));
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        CliException name = assertThrows(CliException.class, () -> parse(Map.of(), "a/../b").argv(true));
        assertEquals("NAME: 'a/../b' is not a sandbox name (1-128 letters, digits, '.', '_', '-', starting"
                + " with a letter or digit)", name.getMessage());
        CliException port = assertThrows(CliException.class, () -> parse(Map.of("MSB_SSH_PORT", "x"), "box").argv(true));
        assertEquals("MSB_SSH_PORT: must be a port number 1-65535, got x", port.getMessage());
        assertThrows(CliException.class, () -> parse(Map.of(), "-p", "70000", "box").argv(true));
    }
}
