package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command lines Main runs without picocli (decision 1963) give the command picocli would, and only those. */
class DirectCommandLineTest {
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream();
    private final Cli cli = new Cli(sink, sink, new ByteArrayInputStream(new byte[0]), Map.of(), null);

    @Test
    void anExecWithoutOptionsIsPicocliSExec() {
        for (List<String> args : List.of(List.of("exec", "box", "--", "true"), List.of("exec", "box", "true"),
            List.of("exec", "box", "sh", "-c", "echo -e x --"), List.of("exec", "box", "--", "--", "-x"),
            List.of("exec", "box", "-e", "A=1", "-it"), List.of("exec", "box"), List.of("exec", "", "x"),
            List.of("exec", "box", "--help"), List.of("exec", "my box", "", " "))) {
            String[] line = args.toArray(String[]::new);
            ExecCommand direct = (ExecCommand) Main.direct(cli, line);
            assertNotNull(direct, String.join(" ", args));
            ExecCommand parsed = (ExecCommand) picocli(line);
            assertEquals(describe(parsed), describe(direct), String.join(" ", args));
        }
    }

    @Test
    void lsAloneIsPicocliSLs() {
        ListCommand direct = (ListCommand) Main.direct(cli, new String[] {"ls"});
        assertNotNull(direct);
        assertEquals(describe((ListCommand) picocli(new String[] {"ls"})), describe(direct));
    }

    @Test
    void everyOtherLineGoesToPicocli() {
        for (List<String> args : List.of(List.<String>of(), List.of("--help"), List.of("ls", "-q"), List.of("ls", "--json"),
            List.of("ls", "--help"), List.of("exec"), List.of("exec", "-i", "box", "sh"), List.of("exec", "--", "box", "x"),
            List.of("exec", "-h"), List.of("exec", "box", "@args"), List.of("exec", "@args"), List.of("ps"),
            List.of("run", "img", "true"), List.of("version"), List.of("Exec", "box", "true"), List.of("ls", "box"))) {
            assertNull(Main.direct(cli, args.toArray(String[]::new)), String.join(" ", args));
        }
    }

    @Test
    void anArgumentFileAnywhereGoesToPicocliWhichExpandsIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("args"), "hello");
        String[] line = {"exec", "box", "--", "echo", "@" + file};
        assertNull(Main.direct(cli, line));
        assertEquals(List.of("--", "echo", "hello"), ((ExecCommand) picocli(line)).command);
    }

    private Object picocli(String[] line) {
        return Main.commandLine(cli, line).parseArgs(line).subcommand().commandSpec().userObject();
    }

    private static String describe(ExecCommand e) {
        return List.of(String.valueOf(e.name), e.command, e.process.env, String.valueOf(e.process.workdir),
            String.valueOf(e.process.user), e.attach.interactive, e.attach.tty).toString();
    }

    private static String describe(ListCommand l) {
        return List.of(l.options.labels, l.options.quiet, l.options.output.json, String.valueOf(l.options.output.format))
            .toString();
    }
}
