package io.msb.cli.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code msb completion bash|zsh|fish}: a completion script written from the command tree itself, so it never
 * falls behind a new verb or option. bash and zsh get picocli's script (it turns on zsh's bash completion); fish,
 * which picocli does not cover, gets {@code complete} lines.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = "Print a shell completion script for bash, zsh or fish.",
    footer = {"", "Examples:", "  source <(msb completion bash)      # in ~/.bashrc",
        "  source <(msb completion zsh)       # in ~/.zshrc", "  msb completion fish | source       # in config.fish"})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh, fish }

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash, zsh or fish")
    Shell shell;

    CompletionCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        cli.out.print(shell == Shell.fish ? fish(root.getCommandSpec()) : AutoComplete.bash("msb", root));
        return 0;
    }

    /** One {@code complete} line per verb and per option, verbs offered only where a verb may come. */
    static String fish(CommandSpec root) {
        StringBuilder b = new StringBuilder("# msb completion for fish: msb completion fish | source\n")
            .append("complete -c msb -f\n");
        verbs(b, root, List.of());
        return b.toString();
    }

    private static void verbs(StringBuilder b, CommandSpec command, List<String> path) {
        String here = path.isEmpty() ? "__fish_use_subcommand"
            : "__fish_seen_subcommand_from " + path.get(path.size() - 1);
        for (Map.Entry<String, CommandLine> sub : command.subcommands().entrySet()) {
            CommandSpec spec = sub.getValue().getCommandSpec();
            if (spec.usageMessage().hidden()) {
                continue;
            }
            b.append("complete -c msb -n ").append(quote(here)).append(" -a ").append(quote(sub.getKey()))
                .append(" -d ").append(quote(first(spec.usageMessage().description()))).append('\n');
            options(b, spec, "__fish_seen_subcommand_from " + sub.getKey());
            List<String> deeper = new java.util.ArrayList<>(path);
            deeper.add(sub.getKey());
            verbs(b, spec, deeper);
        }
    }

    private static void options(StringBuilder b, CommandSpec spec, String condition) {
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            b.append("complete -c msb -n ").append(quote(condition));
            for (String name : o.names()) {
                b.append(name.startsWith("--") ? " -l " + quote(name.substring(2)) : " -s " + quote(name.substring(1)));
            }
            if (o.arity().max() > 0) {
                b.append(" -r");
            }
            b.append(" -d ").append(quote(first(o.description()))).append('\n');
        }
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** fish's single quotes: only backslash and the quote itself are special. */
    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
