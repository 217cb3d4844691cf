package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.image.ImageReference;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code msb run}: create a sandbox, run one command in it, exit with the command's status (decision 1021). */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Create a sandbox from IMAGE, run COMMAND in it with its output streamed, and exit with "
        + "COMMAND's exit status (128+N when killed by signal N).",
        "Options go before IMAGE; everything after IMAGE (and an optional --) is the command."},
    footer = {"", ProcessOptions.EXIT_STATUS})
final class RunCommand implements Callable<Integer> {
    private static final Pattern MEMORY = Pattern.compile("(\\d{1,9})\\s*(|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

    private final Cli cli;

    @Option(names = "--rm", description = "Remove the sandbox when the command ends (also on failure or Ctrl-C).")
    boolean remove;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Sandbox name (default: msb-<8 hex digits>).")
    String name;

    @Option(names = {"-d", "--detach"}, description = "Only create the sandbox, leave it running and print its name.")
    boolean detach;

    @Option(names = {"-c", "--cpus"}, paramLabel = "N", description = "Virtual CPUs (default: the server's).")
    Integer cpus;

    @Option(names = {"-m", "--memory"}, paramLabel = "MiB",
        description = "Guest memory in MiB, or with a unit: 512M, 1G (default: the server's).")
    String memory;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Label the sandbox.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--init", paramLabel = "PATH|auto",
        description = "Hand PID 1 of the guest to this init system once the sandbox is ready, e.g. to run the image's "
            + "systemd services (auto: the image's /sbin/init or systemd).")
    String init;

    @Mixin
    ProcessOptions process = new ProcessOptions();

    @Mixin
    NetOptions net = new NetOptions();

    @Parameters(index = "0", paramLabel = "IMAGE", description = "OCI image reference, or builtin:busybox.")
    String image;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Program and arguments to run in the sandbox.")
    List<String> command = new ArrayList<>();

    RunCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        List<String> cmd = command();
        if (cmd.isEmpty() && !detach) {
            throw new CliException("COMMAND: required after IMAGE (or --detach to leave the sandbox running)");
        }
        if (detach && (remove || !cmd.isEmpty())) {
            throw new CliException("--detach: cannot be combined with --rm or a COMMAND (use msb exec)");
        }
        ObjectNode spec = spec();
        String sandbox = spec.get("name").asText();
        // Never remove a sandbox this run did not create (a taken --name fails the create): while the
        // create is under way, only a generated name is surely ours.
        AtomicBoolean ours = new AtomicBoolean(name == null);
        Thread cleanup = remove ? new Thread(() -> {
            cli.shuttingDown = true;
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
                cli.api().post("/v1/sandboxes?wait_for=running", spec);
                ours.set(true);
            } catch (CliException e) {
                // A 4xx or an unreachable server created nothing; a failed boot (5xx) leaves a stopped record of ours.
                ours.set(e instanceof ApiErrorResponse a && a.status >= 500);
                throw e;
            }
            if (detach) {
                cli.out.println(sandbox);
                return 0;
            }
            return process.exec(cli, sandbox, cmd);
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

    /** The command after IMAGE, without the -- that may separate it. */
    List<String> command() {
        return ProcessOptions.withoutSeparator(command);
    }

    /** The CloudSandboxSpec body of POST /v1/sandboxes; only what was asked for, so the server's defaults apply. */
    ObjectNode spec() {
        ObjectNode spec = cli.json.createObjectNode();
        spec.put("name", name != null ? name : generatedName());
        spec.putObject("image").put("type", "oci").put("reference", imageReference().text());
        Map<String, String> env = process.env(cli.env);
        if (!env.isEmpty()) {
            var array = spec.putArray("env");
            env.forEach((k, v) -> array.addObject().put("key", k).put("value", v));
        }
        Map<String, String> labelMap = labels();
        if (!labelMap.isEmpty()) {
            spec.putPOJO("labels", labelMap);
        }
        if (cpus != null || memory != null) {
            ObjectNode resources = spec.putObject("resources");
            if (cpus != null) {
                resources.put("vcpus", cpus);
            }
            if (memory != null) {
                resources.put("memory_mib", memoryMib(memory));
            }
        }
        if (net.given()) {
            spec.set("network", cli.json.valueToTree(net.network()));
        }
        if (init != null) {
            try {
                spec.putObject("init").put("cmd", HandoffInit.of(init).cmd());
            } catch (InvalidConfigException e) {
                throw new CliException("--init " + init + ": " + e.detail().replaceFirst("^init\\.cmd: ", ""));
            }
        }
        if (process.workdir != null || process.user != null) {
            ObjectNode runtime = spec.putObject("runtime");
            if (process.workdir != null) {
                runtime.put("workdir", process.workdir);
            }
            if (process.user != null) {
                runtime.put("user", process.user);
            }
        }
        return spec;
    }

    /** IMAGE checked with the platform's rules before anything is sent. */
    ImageReference imageReference() {
        try {
            return ImageReference.parse("IMAGE", image);
        } catch (InvalidConfigException e) {
            throw new CliException(e.detail());
        }
    }

    Map<String, String> labels() {
        return Cli.labels(labels);
    }

    static int memoryMib(String value) {
        Matcher m = MEMORY.matcher(value.trim());
        if (!m.matches()) {
            throw new CliException("--memory " + value + ": must be a number of MiB, optionally with M or G (512, 512M, 1G)");
        }
        long n = Long.parseLong(m.group(1));
        long mib = m.group(2).toLowerCase(Locale.ROOT).startsWith("g") ? n * 1024 : n;
        if (mib < 1 || mib > Integer.MAX_VALUE) {
            throw new CliException("--memory " + value + ": must be at least 1 MiB and at most " + Integer.MAX_VALUE + " MiB");
        }
        return (int) mib;
    }

    static String generatedName() {
        return "msb-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
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
