package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code msb run}: create a sandbox, run one command in it, exit with the command's status (decision 1021). */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Create a sandbox from IMAGE, run COMMAND in it with its output streamed, and exit with "
        + "COMMAND's exit status (128+N when killed by signal N).",
        "Options go before IMAGE; everything after IMAGE (and an optional --) is the command.",
        "With -it: an interactive terminal; COMMAND defaults to the sandbox's shell (/bin/sh when it names none)."},
    footer = {"", ProcessOptions.EXIT_STATUS})
final class RunCommand extends SandboxCommand {
    /** How long Ctrl-C during a create waits for the server's answer before it leaves the sandbox to the user. */
    static final Duration CREATE_ANSWER_WAIT = Duration.ofMinutes(10);

    @Option(names = "--rm", description = "Remove the sandbox when the command ends (also on failure or Ctrl-C).")
    boolean remove;

    @Option(names = {"-d", "--detach"}, description = "Only create the sandbox, leave it running and print its name.")
    boolean detach;

    @Mixin
    AttachOptions attach = new AttachOptions();

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Program and arguments to run in the sandbox.")
    List<String> command = new ArrayList<>();

    RunCommand(Cli cli) {
        super(cli);
    }

    @Override
    public Integer call() throws IOException {
        List<String> cmd = command();
        if (cmd.isEmpty() && !detach && !attach.tty) {
            throw new CliException("COMMAND: required after IMAGE (or -it for the sandbox's shell, or --detach to leave "
                + "the sandbox running)");
        }
        if (detach && (remove || !cmd.isEmpty() || attach.attached())) {
            throw new CliException("--detach: cannot be combined with --rm, -i, -t or a COMMAND (use msb exec)");
        }
        attach.check();
        ObjectNode spec = spec();
        String sandbox = spec.get("name").asText();
        // Never remove a sandbox this run did not create (a taken --name fails the create): it is ours once the
        // server's answer says so. Ctrl-C during the create (a pull, a boot) waits for that answer: the server
        // goes on creating when the CLI goes away, and would leave a running sandbox behind.
        AtomicBoolean ours = new AtomicBoolean();
        CountDownLatch answered = new CountDownLatch(1);
        Thread cleanup = remove ? new Thread(() -> {
            cli.shuttingDown = true;
            if (answered.getCount() > 0) {
                cli.err.println("msb: removing sandbox " + sandbox + " once the server has created it");
            }
            try {
                answered.await(CREATE_ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ours.get()) {
                removeQuietly(sandbox);
            }
        }, "msb-rm") : null;
        if (cleanup != null) {
            // Ctrl-C ends the JVM through its shutdown hooks: remove the sandbox there too.
            Runtime.getRuntime().addShutdownHook(cleanup);
        }
        try {
            try {
                create(spec);
                ours.set(true);
            } catch (CliException e) {
                // A 4xx or an unreachable server created nothing; a failed boot (5xx) leaves a stopped record of ours.
                ours.set(e instanceof ApiErrorResponse a && a.status >= 500);
                throw e;
            } finally {
                answered.countDown();
            }
            if (detach) {
                cli.out.println(sandbox);
                return 0;
            }
            return process.exec(cli, sandbox, cmd, attach);
        } finally {
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                    if (ours.get()) {
                        removeQuietly(sandbox);
                    }
                } catch (IllegalStateException shuttingDown) {
                    // The hook is already removing it.
                }
            }
        }
    }

    /** The command after IMAGE (with --from-snapshot: every positional argument), without a separating --. */
    List<String> command() {
        if (fromSnapshot != null && image != null) {
            List<String> all = new ArrayList<>();
            all.add(image);
            all.addAll(command);
            return ProcessOptions.withoutSeparator(all);
        }
        return ProcessOptions.withoutSeparator(command);
    }

    @Override
    boolean imageIsCommand() {
        return true;
    }

    private void removeQuietly(String sandbox) {
        try {
            cli.api().delete(Cli.byName(sandbox));
        } catch (ApiErrorResponse e) {
            if (!"sandbox_not_found".equals(e.code)) {
                cli.err.println("msb: could not remove sandbox " + sandbox + ": " + e.getMessage());
            }
        } catch (RuntimeException e) {
            cli.err.println("msb: could not remove sandbox " + sandbox + ": " + e.getMessage());
        }
    }
}
