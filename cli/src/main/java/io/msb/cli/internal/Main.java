package io.msb.cli.internal;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.List;
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

    /** The top-level commands, in the order `msb --help` lists them. */
    static final List<String> COMMANDS = List.of("run", "create", "exec", "shell", "cp", "ls", "ps", "inspect", "stats",
        "top", "logs", "start", "stop", "kill", "pause", "resume", "restart", "wait", "rm", "pull", "image", "volume",
        "snapshot", "branch", "tls", "ssh", "info", "version", "completion");

    /** Runs one command line and returns the exit status. */
    static int run(String[] args, Cli cli) {
        Callable<Integer> direct = direct(cli, args);
        if (direct == null) {
            cli.makeJsonAside();
            return commandLine(cli, args).execute(args);
        }
        try {
            Integer status = direct.call();
            return status == null ? 0 : status;
        } catch (Exception e) {
            return failed(cli, e); // what picocli's execute does with it
        }
    }

    /**
     * The command a command line of one of the commonest forms stands for, made without picocli (decision 1963), or
     * null for every other line. Building even one command's picocli model is ~60 ms of a start-up (annotation
     * proxies, type converters, reflection), more than the rest of {@code msb ls}. Only lines that picocli parses
     * one way qualify, and give the command object picocli would: {@code ls} alone, and {@code exec NAME COMMAND…}
     * with no option before NAME (exec stops at NAME: every later word is COMMAND's, an optional {@code --}
     * included, as picocli leaves it). A word starting with {@code @} (picocli's argument files, expanded anywhere)
     * goes to picocli.
     */
    static Callable<Integer> direct(Cli cli, String[] args) {
        for (String a : args) {
            if (a.startsWith("@")) {
                return null;
            }
        }
        if (args.length == 1 && args[0].equals("ls")) {
            return new ListCommand(cli);
        }
        if (args.length >= 2 && args[0].equals("exec") && !args[1].startsWith("-")) {
            ExecCommand exec = new ExecCommand(cli);
            exec.name = args[1];
            exec.command.addAll(List.of(args).subList(2, args.length));
            return exec;
        }
        return null;
    }

    /**
     * The command tree that {@code args} need (decision 1961): picocli reads every command's annotations when
     * it is added, so a command line naming one command first gets only that one under msb. Everything else (no
     * command, top-level options, an unknown word, {@code completion}, which walks the whole tree) gets all.
     */
    static CommandLine commandLine(Cli cli, String[] args) {
        if (args.length == 0 || "completion".equals(args[0])) {
            return commandLine(cli);
        }
        Object only = command(args[0], cli);
        return only == null ? commandLine(cli) : configure(new CommandLine(new Main(cli)).addSubcommand(only), cli);
    }

    /** The whole command tree. */
    static CommandLine commandLine(Cli cli) {
        CommandLine cl = new CommandLine(new Main(cli));
        for (String name : COMMANDS) {
            cl.addSubcommand(command(name, cli));
        }
        return configure(cl, cli);
    }

    /** One top-level command (an annotated object or its CommandLine), or null when there is none of that name. */
    static Object command(String name, Cli cli) {
        // A switch, not a map of lambdas: no lambda is bootstrapped on the way to the one command needed.
        switch (name) {
            case "run": return new CommandLine(new RunCommand(cli)).setStopAtPositional(true);
            case "create": return new CreateCommand(cli);
            case "exec": return new CommandLine(new ExecCommand(cli)).setStopAtPositional(true);
            case "shell": return new ShellCommand(cli);
            case "cp": return new CpCommand(cli);
            case "ls": return new ListCommand(cli);
            case "ps": return new PsCommand(cli);
            case "inspect": return new InspectCommand(cli);
            case "stats": return new StatsCommand(cli);
            case "top": return new TopCommand(cli);
            case "logs": return new LogsCommand(cli);
            case "start": return new LifecycleCommand.Start(cli);
            case "stop": return new LifecycleCommand.Stop(cli);
            case "kill": return new LifecycleCommand.Kill(cli);
            case "pause": return new LifecycleCommand.Pause(cli);
            case "resume": return new LifecycleCommand.Resume(cli);
            case "restart": return new LifecycleCommand.Restart(cli);
            case "wait": return new LifecycleCommand.Wait(cli);
            case "rm": return new LifecycleCommand.Remove(cli);
            case "pull": return new PullCommand(cli);
            case "image": return ImageCommand.commandLine(cli);
            case "volume": return VolumeCommand.commandLine(cli);
            case "snapshot": return SnapshotCommand.commandLine(cli);
            case "branch": return new BranchCommand(cli);
            case "tls": return TlsCommand.commandLine(cli);
            case "ssh": return new CommandLine(new SshCommand(cli)).setStopAtPositional(true);
            case "info": return new InfoCommand(cli);
            case "version": return new VersionCommand(cli);
            case "completion": return new CompletionCommand(cli);
            default: return null;
        }
    }

    private static CommandLine configure(CommandLine cl, Cli cli) {
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
