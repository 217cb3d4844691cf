package io.msb.cli.internal;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of {@code ls} and {@code ps} (a picocli mixin): the output options, labels and {@code -q}. */
final class ListOptions {
    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Only sandboxes with this label (repeatable: all must match).")
    List<String> labels = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print only the names (ps NAME: the PIDs).")
    boolean quiet;

    /** The listing as {@code ls} prints it. */
    void print(Cli cli) throws Exception {
        ListCommand.print(cli, output, labels, quiet);
    }
}
