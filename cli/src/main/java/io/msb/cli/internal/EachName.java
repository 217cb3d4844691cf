package io.msb.cli.internal;

import java.util.List;
import java.util.function.UnaryOperator;

/** Commands over several names (sandboxes, images): like docker, a failure is reported and the others still done. */
final class EachName {
    private EachName() {
    }

    /** Prints what {@code action} returns for each name; returns 125 if any failed (decision 1022). */
    static int apply(Cli cli, List<String> names, UnaryOperator<String> action) {
        int status = 0;
        for (String name : names) {
            try {
                cli.out.println(Text.cell(action.apply(name)));
            } catch (CliException e) {
                cli.err.println("msb: " + e.getMessage());
                status = CliException.EXIT_CLI;
            }
        }
        return status;
    }
}
