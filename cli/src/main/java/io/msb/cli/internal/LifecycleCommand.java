package io.msb.cli.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * start, stop, kill, pause, resume, restart, wait and rm: one request (or a few) per named sandbox, one line printed for each;
 * like docker, a failure does not stop the others.
 */
abstract class LifecycleCommand implements Callable<Integer> {
    /** The server's statuses of a sandbox whose VM runs or is about to: what stop, kill and wait are about. */
    static final Set<String> ACTIVE = Set.of("running", "starting", "stopping", "paused");

    final Cli cli;

    @Parameters(paramLabel = "NAME", arity = "1..*", description = "Sandbox names.")
    List<String> names = new ArrayList<>();

    LifecycleCommand(Cli cli) {
        this.cli = cli;
    }

    /** Acts on one sandbox and returns the line to print for it (its name, unless the command says more). */
    abstract String apply(String name);

    @Override
    public Integer call() {
        return EachName.apply(cli, names, this::apply);
    }

    String status(String name) {
        return cli.api().get(Cli.byName(name)).path("status").asText("");
    }

    void post(String name, String action) {
        cli.api().post(Cli.byName(name) + "/" + action, cli.json().createObjectNode());
    }

    /** start, stop, kill, pause and resume: POST …/{action}. */
    abstract static class Transition extends LifecycleCommand {
        private final String action;

        Transition(Cli cli, String action) {
            super(cli);
            this.action = action;
        }

        @Override
        String apply(String name) {
            post(name, action);
            return name;
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

    @Command(name = "kill", mixinStandardHelpOptions = true,
        description = "End running sandboxes at once, without letting the guest shut down (their disks are kept).")
    static final class Kill extends Transition {
        Kill(Cli cli) {
            super(cli, "kill");
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Freeze running sandboxes where they stand (memory kept; exec refused until resumed).")
    static final class Pause extends Transition {
        Pause(Cli cli) {
            super(cli, "pause");
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Let paused sandboxes run on (their clocks are set to the host's).")
    static final class Resume extends Transition {
        Resume(Cli cli) {
            super(cli, "resume");
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
        description = "Stop sandboxes that run, then start them (a stopped one is just started).")
    static final class Restart extends LifecycleCommand {
        Restart(Cli cli) {
            super(cli);
        }

        @Override
        String apply(String name) {
            if (ACTIVE.contains(status(name))) {
                post(name, "stop");
            }
            post(name, "start");
            return name;
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true,
        description = "Block until each sandbox no longer runs, then print the status it ended in (stopped, failed).")
    static final class Wait extends LifecycleCommand {
        /** How often the sandbox is asked for its status: the API has no wait route, so wait polls. */
        static final Duration POLL = Duration.ofMillis(250);

        Wait(Cli cli) {
            super(cli);
        }

        @Override
        String apply(String name) {
            String status = status(name);
            while (ACTIVE.contains(status)) {
                try {
                    Thread.sleep(POLL.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException("interrupted while waiting for sandbox " + name);
                }
                status = status(name);
            }
            return status;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove sandboxes.")
    static final class Remove extends LifecycleCommand {
        @Option(names = {"-f", "--force"}, description = "Stop a running sandbox and remove it.")
        boolean force;

        Remove(Cli cli) {
            super(cli);
        }

        @Override
        String apply(String name) {
            // The server stops a running sandbox on DELETE; like docker, the CLI asks for -f first.
            if (!force) {
                String status = status(name);
                if (ACTIVE.contains(status)) {
                    throw new CliException("sandbox " + name + " is " + status + ": stop it first or use rm -f");
                }
            }
            cli.api().delete(Cli.byName(name));
            return name;
        }
    }
}
