package io.msb.shell.internal;

import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkOptions;
import io.msb.api.network.SecretOptions;
import java.util.ArrayList;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The words of {@code msb:run}, read the way {@code docker run} reads them: options up to the image, then the
 * command, untouched. Gogo's own option matching would take a guest command's {@code -n} or {@code -l} as
 * ours, wherever it stands.
 */
record RunArguments(SandboxSpec spec, boolean remove, List<String> command) {

    static final String USAGE = "msb:run [-n NAME] [--cpus N] [-m MIB] [-e KEY=VALUE]… [-l KEY=VALUE]… [-w DIR] [--init PATH|auto] "
            + "[-p [BIND:]HOST:GUEST[/udp]]… [--no-net] [--net-profile public|private|host|none|all] "
            + "[--net-allow DEST[:PORTS]]… [--net-deny DEST[:PORTS]]… [--dns SERVER]… [-v HOST|NAME:GUEST[:ro]]… "
            + "[--secret ENV=VALUE@HOST[,HOST]]… [--secret-from-env ENV@HOST[,HOST]]… "
            + "[--secret-on-violation block|block-and-log|block-and-terminate] [--net-strict] "
            + "[--tls-intercept-port PORT]… [--tls-bypass HOST]… "
            + "[--tmpfs GUEST[:SIZE]]… [--backend NAME] [--rm] [-d] (IMAGE | --from-snapshot SNAPSHOT) [--] [COMMAND [ARG…]]";

    static RunArguments parse(List<String> words) {
        return parse(words, System::getenv);
    }

    /** @param environment where {@code --secret-from-env} reads (the Karaf JVM's environment) */
    static RunArguments parse(List<String> words, java.util.function.Function<String, String> environment) {
        String name = null;
        String workdir = null;
        String snapshot = null;
        String backend = null;
        HandoffInit init = null;
        int cpus = 0;
        int memoryMib = 0;
        boolean remove = false;
        boolean detach = false;
        Map<String, String> env = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        boolean noNet = false;
        String profile = null;
        List<String> ports = new ArrayList<>();
        List<String> allow = new ArrayList<>();
        List<String> deny = new ArrayList<>();
        List<String> dns = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        List<String> secrets = new ArrayList<>();
        List<String> secretsFromEnv = new ArrayList<>();
        String onViolation = null;
        boolean strict = false;
        List<Integer> tlsPorts = new ArrayList<>();
        List<String> tlsBypass = new ArrayList<>();
        int i = 0;
        for (; i < words.size() && words.get(i).startsWith("-") && !words.get(i).equals("--"); i++) {
            String option = words.get(i);
            switch (option) {
                case "--rm" -> remove = true;
                case "-d", "--detach" -> detach = true;
                case "-n", "--name" -> name = value(words, ++i, option);
                case "--cpus" -> cpus = number(words, ++i, option);
                case "-m", "--memory" -> memoryMib = number(words, ++i, option);
                case "-e", "--env" -> env.putAll(KeyValues.parse("env", value(words, ++i, option)));
                case "-l", "--label" -> labels.putAll(KeyValues.parse("labels", value(words, ++i, option)));
                case "-w", "--workdir" -> workdir = value(words, ++i, option);
                case "--init" -> init = handoff(value(words, ++i, option));
                case "-p", "--publish" -> ports.add(value(words, ++i, option));
                case "--no-net" -> noNet = true;
                case "--net-profile" -> profile = value(words, ++i, option);
                case "--net-allow" -> allow.add(value(words, ++i, option));
                case "--net-deny" -> deny.add(value(words, ++i, option));
                case "--dns" -> dns.add(value(words, ++i, option));
                case "--secret" -> secrets.add(value(words, ++i, option));
                case "--secret-from-env" -> secretsFromEnv.add(value(words, ++i, option));
                case "--secret-on-violation" -> onViolation = value(words, ++i, option);
                case "--net-strict" -> strict = true;
                case "--tls-intercept-port" -> tlsPorts.add(number(words, ++i, option));
                case "--tls-bypass" -> tlsBypass.add(value(words, ++i, option));
                case "-v", "--volume" -> mounts.add(mount(Mount::parseVolumeOption, value(words, ++i, option)));
                case "--from-snapshot" -> snapshot = value(words, ++i, option);
                case "--backend" -> backend = value(words, ++i, option);
                case "--tmpfs" -> mounts.add(mount(Mount::parseTmpfsOption, value(words, ++i, option)));
                default -> throw new IllegalArgumentException("msb:run: unknown option " + option + "; usage: " + USAGE);
            }
        }
        i = skipSeparator(words, i);
        if (i >= words.size() && snapshot == null) {
            throw new IllegalArgumentException("msb:run needs an image; usage: " + USAGE);
        }
        NetworkConfig network;
        try {
            network = new SecretOptions(secrets, secretsFromEnv, onViolation, strict, tlsPorts, tlsBypass).applyTo(
                    new NetworkOptions(noNet, profile, allow, deny, ports, dns).toConfig(), environment);
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("msb:run: " + e.getMessage().replaceFirst("^invalid config: ", ""));
        }
        SandboxSpec.Builder b = SandboxSpec.builder(name != null ? name : generatedName()).network(network);
        if (snapshot != null) {
            b.fromSnapshot(snapshot); // every word after the options is the command's
            i--;
        } else {
            b.rootfs(RootfsSource.parse(words.get(i)));
        }
        SandboxSpec spec = b.cpus(cpus).memoryMib(memoryMib).env(env).labels(labels)
                .workdir(workdir).init(init).mounts(mounts).detached(detach).ephemeral(remove).backend(backend).build();
        return new RunArguments(spec, remove, List.copyOf(words.subList(skipSeparator(words, i + 1), words.size())));
    }

    private static Mount mount(java.util.function.Function<String, Mount> parse, String value) {
        try {
            return parse.apply(value);
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("msb:run: " + e.detail());
        }
    }

    private static HandoffInit handoff(String cmd) {
        try {
            return HandoffInit.of(cmd);
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("msb:run: --init " + e.detail().replaceFirst("^init\\.cmd: ", ""));
        }
    }

    private static int skipSeparator(List<String> words, int i) {
        return i < words.size() && words.get(i).equals("--") ? i + 1 : i;
    }

    private static String value(List<String> words, int i, String option) {
        if (i >= words.size()) {
            throw new IllegalArgumentException("msb:run: " + option + " needs a value; usage: " + USAGE);
        }
        return words.get(i);
    }

    private static int number(List<String> words, int i, String option) {
        String text = value(words, i, option);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("msb:run: " + option + " needs a whole number, got " + text);
        }
    }

    private static String generatedName() {
        return "msb-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
    }
}
