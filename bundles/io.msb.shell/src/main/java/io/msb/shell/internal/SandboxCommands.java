package io.msb.shell.internal;

import io.msb.api.LabelSelector;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code msb:} commands of the Felix/Karaf console. They print to {@code System.out}, which Gogo routes to
 * the calling session, rather than returning text: Karaf's exec channel ({@code bin/client CMD}, {@code ssh …
 * CMD}) does not print return values.
 */
@Component(service = SandboxCommands.class, property = {
    "osgi.command.scope=msb",
    "osgi.command.function=ls",
    "osgi.command.function=ps",
    "osgi.command.function=inspect",
    "osgi.command.function=netpolicy",
    "osgi.command.function=run",
    "osgi.command.function=exec",
    "osgi.command.function=start",
    "osgi.command.function=stop",
    "osgi.command.function=kill",
    "osgi.command.function=pause",
    "osgi.command.function=resume",
    "osgi.command.function=rm",
    "osgi.command.function=version"})
public final class SandboxCommands {
    private final SandboxService sandboxes;
    private final String version;

    @Activate
    public SandboxCommands(@Reference SandboxService sandboxes, BundleContext context) {
        this(sandboxes, context.getBundle().getVersion().toString());
    }

    SandboxCommands(SandboxService sandboxes, String version) {
        this.sandboxes = sandboxes;
        this.version = version;
    }

    @Descriptor("lists sandboxes")
    public void ls(
            @Descriptor("only sandboxes with these labels: key=value[,key2[=value2]…]")
            @Parameter(names = {"-l", "--label"}, absentValue = "") String labels) {
        System.out.println(SandboxTable.render(sandboxes.list(LabelSelector.parse(labels))));
    }

    @Descriptor("lists running sandboxes")
    public void ps(
            @Descriptor("only sandboxes with these labels: key=value[,key2[=value2]…]")
            @Parameter(names = {"-l", "--label"}, absentValue = "") String labels) {
        System.out.println(SandboxTable.render(sandboxes.list(LabelSelector.parse(labels)).stream()
                .filter(s -> s.status().expectsLiveVm()).toList()));
    }

    @Descriptor("creates and starts a sandbox from an image; with a command, runs it and prints its output")
    public void run(@Descriptor(RunArguments.USAGE
            + " — IMAGE is a reference (builtin:busybox, debian:bookworm …), dir:PATH or disk:PATH") String... words)
            throws InterruptedException {
        RunArguments run = RunArguments.parse(List.of(words));
        SandboxHandle sandbox = sandboxes.create(run.spec());
        if (run.command().isEmpty()) {
            System.out.println(sandbox.name());
            return;
        }
        try {
            runIn(sandbox, run.command());
        } finally {
            if (run.remove()) {
                sandboxes.remove(sandbox.name(), true);
            }
        }
    }

    @Descriptor("runs a command in a running sandbox and prints its output")
    public void exec(@Descriptor("sandbox name") String name,
            @Descriptor("command and arguments (after an optional --)") String... command) throws InterruptedException {
        List<String> argv = argv(command);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("msb:exec needs a command");
        }
        runIn(sandboxes.handle(name), argv);
    }

    @Descriptor("starts stopped sandboxes again, keeping their disks")
    public void start(@Descriptor("sandbox names") String... names) {
        forEach("msb:start", names, sandboxes::start);
    }

    @Descriptor("stops sandboxes: the guest shuts down, then SIGTERM, then SIGKILL after the grace period")
    public void stop(
            @Descriptor("grace period in seconds") @Parameter(names = {"-t", "--time"}, absentValue = "-1") int seconds,
            @Descriptor("sandbox names") String... names) {
        forEach("msb:stop", names, n -> sandboxes.stop(n, seconds < 0 ? null : Duration.ofSeconds(seconds)));
    }

    @Descriptor("kills sandboxes at once (SIGKILL)")
    public void kill(@Descriptor("sandbox names") String... names) {
        forEach("msb:kill", names, sandboxes::kill);
    }

    @Descriptor("pauses running sandboxes: their VMs freeze where they stand, memory kept")
    public void pause(@Descriptor("sandbox names") String... names) {
        forEach("msb:pause", names, sandboxes::pause);
    }

    @Descriptor("resumes paused sandboxes (their clocks are set to the host's)")
    public void resume(@Descriptor("sandbox names") String... names) {
        forEach("msb:resume", names, sandboxes::resume);
    }

    /** Streams a command's output to this console session; reports a non-zero exit on stderr. */
    private static void runIn(SandboxHandle sandbox, List<String> argv) throws InterruptedException {
        PrintStream out = System.out; // the session's streams: the listener runs on the agent's thread
        PrintStream err = System.err;
        ExecSession session = sandbox.execStream(ExecOptions.of(argv).build(), event -> {
            if (event instanceof ExecEvent.Stdout o) {
                out.write(o.data(), 0, o.data().length);
            } else if (event instanceof ExecEvent.Stderr e) {
                err.write(e.data(), 0, e.data().length);
            }
        });
        session.closeStdin();
        ExecExit exit = session.waitFor(null);
        out.flush();
        if (!exit.success()) {
            err.println(exit.signal() != 0 ? "[killed by signal " + exit.signal() + "]" : "[exit " + exit.code() + "]");
        }
    }

    private static List<String> argv(String... command) {
        List<String> argv = new ArrayList<>(List.of(command));
        if (!argv.isEmpty() && argv.get(0).equals("--")) {
            argv.remove(0);
        }
        return argv;
    }

    private static void forEach(String command, String[] names, Consumer<String> action) {
        if (names.length == 0) {
            throw new IllegalArgumentException(command + " needs at least one sandbox name");
        }
        for (String name : names) {
            action.accept(name);
            System.out.println(name);
        }
    }

    @Descriptor("replaces a sandbox's network policy; a running sandbox's new connections follow it at once")
    public void netpolicy(@Descriptor("sandbox name") String name,
            @Descriptor(NetPolicyArguments.USAGE) String... words) {
        System.out.println(SandboxDetails.network(sandboxes.updateNetworkPolicy(name, NetPolicyArguments.parse(List.of(words)))));
    }

    @Descriptor("shows everything known about a sandbox")
    public void inspect(@Descriptor("sandbox name") String name) {
        System.out.println(SandboxDetails.render(sandboxes.get(name).orElseThrow(() -> new NotFoundException("sandbox", name))));
    }

    @Descriptor("removes sandboxes and their disks")
    public void rm(
            @Descriptor("stop running sandboxes first") @Parameter(names = {"-f", "--force"}, presentValue = "true",
                    absentValue = "false") boolean force,
            @Descriptor("sandbox names") String... names) {
        forEach("msb:rm", names, n -> sandboxes.remove(n, force));
    }

    @Descriptor("prints the msb version")
    public void version() {
        System.out.println("msb " + version);
    }
}
