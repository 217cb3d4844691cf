package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scripts of {@code msb completion}, bash's run by a real bash asked to complete partial command lines. */
class CompletionCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Cli cli = new Cli(out, err, new ByteArrayInputStream(new byte[0]), Map.of(), null);

    @TempDir
    Path dir;

    private String script(String shell) {
        assertEquals(0, Main.run(new String[] {"completion", shell}, cli), err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What bash offers for {@code words}, the last one being completed. */
    private List<String> bashCompletes(Path script, String... words) throws Exception {
        String line = String.join(" ", words);
        String program = "source " + script + "\n"
            + "COMP_WORDS=(" + line + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE='" + line + "';"
            + " COMP_POINT=" + line.length() + "\n"
            + "$(complete -p msb | sed -E 's/.*-F ([^ ]+).*/\\1/') msb\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), answer);
        return answer.lines().map(String::strip).toList();
    }

    @Test
    void bashCompletesVerbsNestedVerbsAndOptions() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "this test needs bash");
        Path script = Files.writeString(dir.resolve("msb.bash"), script("bash"));
        assertTrue(bashCompletes(script, "msb", "ru").contains("run"));
        assertTrue(bashCompletes(script, "msb", "").containsAll(List.of("exec", "shell", "pull", "image", "completion")));
        assertTrue(bashCompletes(script, "msb", "image", "").containsAll(List.of("ls", "rm", "prune")));
        assertTrue(bashCompletes(script, "msb", "exec", "--tt").contains("--tty"));
    }

    @Test
    void zshGetsTheScriptThatTurnsOnItsBashCompletion() throws Exception {
        String zsh = script("zsh");
        assertTrue(zsh.contains("bashcompinit"), zsh.lines().limit(40).toList().toString());
        Path zshBinary = Path.of("/usr/bin/zsh");
        assumeTrue(Files.isExecutable(zshBinary), "zsh is not installed: its run of the script is skipped");
        Path script = Files.writeString(dir.resolve("msb.zsh"), zsh);
        Process p = new ProcessBuilder(zshBinary.toString(), "-c", "source " + script + " && whence -w _complete_msb")
            .redirectErrorStream(true).start();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), answer);
    }

    @Test
    void fishGetsOneLinePerVerbAndOption() throws Exception {
        String fish = script("fish");
        assertTrue(fish.contains("complete -c msb -n '__fish_use_subcommand' -a 'run' -d '"), fish);
        assertTrue(fish.contains("complete -c msb -n '__fish_seen_subcommand_from image' -a 'ls' -d '"), fish);
        assertTrue(fish.lines().anyMatch(l -> l.startsWith("complete -c msb -n '__fish_seen_subcommand_from exec'")
            && l.contains(" -l 'tty'")), fish);
        Path fishBinary = Path.of("/usr/bin/fish");
        assumeTrue(Files.isExecutable(fishBinary), "fish is not installed: its run of the script is skipped");
        Path script = Files.writeString(dir.resolve("msb.fish"), fish);
        Process p = new ProcessBuilder(fishBinary.toString(), "-c", "source " + script
            + "; complete -C 'msb ima'; complete -C 'msb image pr'; complete -C 'msb exec --tt'")
            .redirectErrorStream(true).start();
        List<String> offered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
            .map(l -> l.split("\t")[0]).toList();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of("image", "prune", "--tty"), offered);
    }

    @Test
    void anotherShellIsRefusedNamingTheArgument() {
        assertEquals(CliException.EXIT_CLI, Main.run(new String[] {"completion", "tcsh"}, cli));
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("SHELL") && message.contains("bash, zsh, fish"), message);
    }

    @Test
    void quotesAreSafeForFish() {
        assertEquals("'it\\'s a \\\\ path'", CompletionCommand.quote("it's a \\ path"));
    }
}
