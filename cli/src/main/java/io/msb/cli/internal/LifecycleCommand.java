package io.msb.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** start, stop and rm: one request per named sandbox; like docker, a failure does not stop the others. */
abstract class LifecycleCommand implements Callable<Integer> {
    final Cli cli;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "Sandbox names.")
    List<String> names = new ArrayList<>();

    LifecycleCommand(Cli cli) {
        this.cli = cli;
    }

    abstract void apply(String name);

    @Override
    public Integer call() {
        int status = 0;
        for (String name : names) {
            try {
                apply(name);
                cli.out.println(Text.cell(name));
            } catch (CliException e) {
                cli.err.println("msb: " + e.getMessage());
                status = CliException.EXIT_CLI;
            }
        }
        return status;
    }

    /** start and stop: POST …/{action}. */
    abstract static class Transition extends LifecycleCommand {
        private final String action;

        Transition(Cli cli, String action) {
            super(cli);
            this.action = action;
        }

        @Override
        void apply(String name) {
            cli.api().post(Cli.byName(name) + "/" + action, cli.json.createObjectNode());
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start stopped sandboxes.")
    static final class Start extends Transition {
        Start(Cli cli) {
            super(cli, "start");
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop running sandboxes (their state is kept).")
    static final class Stop extends Transition {
        Stop(Cli cli) {
            super(cli, "stop");
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove sandboxes.")
    static final class Remove extends LifecycleCommand {
        /** The server stops a running sandbox on DELETE; like docker, the CLI asks for -f first. */
        private static final Set<String> ACTIVE = Set.of("running", "starting", "stopping");

        @Option(names = {"-f", "--force"}, description = "Stop a running sandbox and remove it.")
        boolean force;

        Remove(Cli cli) {
            super(cli);
        }

        @Override
        void apply(String name) {
            if (!force) {
                String status = cli.api().get(Cli.byName(name)).path("status").asText("");
                if (ACTIVE.contains(status)) {
                    throw new CliException("sandbox " + name + " is " + status + ": stop it first or use rm -f");
                }
            }
            cli.api().delete(Cli.byName(name));
        }
    }
}
