package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The one-command tree a command line gets (decision 1961) is the same command as in the whole tree. */
class CommandTreeTest {
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream();
    private final Cli cli = new Cli(sink, sink, new ByteArrayInputStream(new byte[0]), Map.of(), null);

    @Test
    void theListOfCommandsIsTheWholeTreesInItsOrder() {
        assertEquals(Main.COMMANDS, List.copyOf(Main.commandLine(cli).getSubcommands().keySet()));
    }

    @Test
    void eachCommandAloneHasTheUsageAndSubcommandsItHasInTheWholeTree() {
        CommandLine whole = Main.commandLine(cli);
        for (String name : Main.COMMANDS) {
            CommandLine alone = Main.commandLine(cli, new String[] {name, "--help"});
            if (!name.equals("completion")) {
                assertEquals(List.of(name), List.copyOf(alone.getSubcommands().keySet()), "only " + name);
            }
            CommandLine a = alone.getSubcommands().get(name);
            CommandLine w = whole.getSubcommands().get(name);
            assertEquals(w.getUsageMessage(), a.getUsageMessage(), name);
            assertEquals(w.getSubcommands().keySet(), a.getSubcommands().keySet(), name);
            for (String sub : w.getSubcommands().keySet()) {
                assertEquals(w.getSubcommands().get(sub).getUsageMessage(), a.getSubcommands().get(sub).getUsageMessage(),
                    name + " " + sub);
            }
            assertEquals(w.isStopAtPositional(), a.isStopAtPositional(), name);
        }
    }

    @Test
    void anythingButACommandFirstGetsTheWholeTree() {
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"frobnicate"},
            new String[] {"-V"}, new String[] {"completion", "bash"})) {
            assertEquals(Main.COMMANDS, List.copyOf(Main.commandLine(cli, args).getSubcommands().keySet()),
                String.join(" ", args));
        }
    }
}
