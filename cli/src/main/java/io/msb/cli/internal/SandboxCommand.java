package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.image.ImageReference;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What run and create share: the options that make the sandbox's spec, and IMAGE. */
abstract class SandboxCommand implements Callable<Integer> {
    private static final Pattern MEMORY = Pattern.compile("(\\d{1,9})\\s*(|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

    final Cli cli;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Sandbox name (default: msb-<8 hex digits>).")
    String name;

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

    @Mixin
    MountOptions mounts = new MountOptions();

    @Option(names = "--backend", paramLabel = "NAME",
        description = "The backend that runs the sandbox: a VMM backend (qemu, libkrun) or a sandbox backend (cloud)"
            + " (default: the server's).")
    String backend;

    @Option(names = "--from-snapshot", paramLabel = "SNAPSHOT",
        description = "Start from a disk snapshot: its image, its disk and its settings (unless given); no IMAGE.")
    String fromSnapshot;

    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE",
        description = "OCI image reference, or builtin:busybox (none with --from-snapshot).")
    String image;

    SandboxCommand(Cli cli) {
        this.cli = cli;
    }

    /** Creates the sandbox of {@code spec} and returns once it runs (the server pulls and boots first). */
    void create(ObjectNode spec) {
        cli.api().post("/v1/sandboxes?wait_for=running", spec);
    }

    /** The CloudSandboxSpec body of POST /v1/sandboxes; only what was asked for, so the server's defaults apply. */
    ObjectNode spec() {
        ObjectNode spec = cli.json().createObjectNode();
        spec.put("name", name != null ? name : generatedName());
        if (fromSnapshot != null) {
            if (image != null && !imageIsCommand()) {
                throw new CliException("IMAGE: cannot be combined with --from-snapshot (the snapshot's image is used)");
            }
            spec.put("from_snapshot", fromSnapshot);
        } else {
            spec.putObject("image").put("type", "oci").put("reference", imageReference().text());
        }
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
            spec.set("network", cli.json().valueToTree(net.network(cli.env)));
        }
        mounts.addTo(spec);
        if (backend != null) {
            spec.put("backend", backend); // the server checks the name and that the backend runs
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

    /** Whether, with --from-snapshot, the first positional argument is the command's (run) rather than an IMAGE. */
    boolean imageIsCommand() {
        return false;
    }

    /** IMAGE checked with the platform's rules before anything is sent. */
    ImageReference imageReference() {
        if (image == null) {
            throw new CliException("IMAGE: required (or --from-snapshot SNAPSHOT)");
        }
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
}
