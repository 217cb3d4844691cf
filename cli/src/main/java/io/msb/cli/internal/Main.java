package io.msb.cli.internal;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The msb command: parses the arguments (picocli, decision 1020) and maps every outcome to an exit status. */
@Command(name = "msb", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {"Run and manage msb sandboxes (hardware-isolated microVMs) through the msb server's HTTP API."},
    footer = {"", "Environment: MSB_API_URL (default " + Config.DEFAULT_URL + "), MSB_API_KEY (default: the file "
        + "$MSB_HOME/api-key, MSB_HOME defaulting to ~/.msb).", "Run 'msb COMMAND --help' for a command's options."})
public final class Main implements Callable<Integer> {
    private final Cli cli;

    @Spec
    CommandSpec spec;

    Main(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        // "msb" alone: show what it can do, as docker does.
        spec.commandLine().usage(cli.out);
        return 0;
    }

    public static void main(String[] args) throws Exception {
        if (Boolean.getBoolean("msb.cli.cdsTraining")) {
            CdsTraining.run();
            return;
        }
        // Unbuffered: guest output reaches the terminal as each event arrives (ExecStream flushes).
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        OutputStream err = new FileOutputStream(FileDescriptor.err);
        InputStream in = new FileInputStream(FileDescriptor.in);
        System.exit(run(args, new Cli(out, err, in, System.getenv(), System.getProperty("msb.server.launcher"))));
    }

    /** Runs one command line and returns the exit status. */
    static int run(String[] args, Cli cli) {
        return commandLine(cli).execute(args);
    }

    static CommandLine commandLine(Cli cli) {
        CommandLine cl = new CommandLine(new Main(cli))
            .addSubcommand(new CommandLine(new RunCommand(cli)).setStopAtPositional(true))
            .addSubcommand(new CreateCommand(cli))
            .addSubcommand(new CommandLine(new ExecCommand(cli)).setStopAtPositional(true))
            .addSubcommand(new ShellCommand(cli))
            .addSubcommand(new CpCommand(cli))
            .addSubcommand(new ListCommand(cli))
            .addSubcommand(new PsCommand(cli))
            .addSubcommand(new InspectCommand(cli))
            .addSubcommand(new StatsCommand(cli))
            .addSubcommand(new TopCommand(cli))
            .addSubcommand(new LogsCommand(cli))
            .addSubcommand(new LifecycleCommand.Start(cli))
            .addSubcommand(new LifecycleCommand.Stop(cli))
            .addSubcommand(new LifecycleCommand.Kill(cli))
            .addSubcommand(new LifecycleCommand.Pause(cli))
            .addSubcommand(new LifecycleCommand.Resume(cli))
            .addSubcommand(new LifecycleCommand.Restart(cli))
            .addSubcommand(new LifecycleCommand.Wait(cli))
            .addSubcommand(new LifecycleCommand.Remove(cli))
            .addSubcommand(new PullCommand(cli))
            .addSubcommand(ImageCommand.commandLine(cli))
            .addSubcommand(VolumeCommand.commandLine(cli))
            .addSubcommand(SnapshotCommand.commandLine(cli))
            .addSubcommand(new BranchCommand(cli))
            .addSubcommand(TlsCommand.commandLine(cli))
            .addSubcommand(new CommandLine(new SshCommand(cli)).setStopAtPositional(true))
            .addSubcommand(new InfoCommand(cli))
            .addSubcommand(new VersionCommand(cli))
            .addSubcommand(new CompletionCommand(cli));
        cl.setOut(new PrintWriter(cli.out, true)).setErr(new PrintWriter(cli.err, true));
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setExecutionExceptionHandler((e, command, parsed) -> failed(cli, e));
        return cl;
    }

    private static int badArguments(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println("msb: " + e.getMessage());
        cmd.getErr().println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        return CliException.EXIT_CLI;
    }

    private static int failed(Cli cli, Exception e) {
        if (cli.shuttingDown) {
            return CliException.EXIT_CLI; // the JVM exits with 128+signal anyway
        }
        if (e instanceof CliException c) {
            cli.err.println("msb: " + c.getMessage());
            return c.exitStatus();
        }
        if (e instanceof IOException) {
            // A read of an answer under way failed: the server went away (stopped, crashed) or the network did.
            cli.err.println("msb: lost the connection to the msb server: " + Text.printable(String.valueOf(e.getMessage())));
            return CliException.EXIT_CLI;
        }
        cli.err.println("msb: " + e);
        return CliException.EXIT_CLI;
    }
}
