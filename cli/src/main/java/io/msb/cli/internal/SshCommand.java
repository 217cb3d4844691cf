package io.msb.cli.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb ssh NAME [-- COMMAND...]}: the host's OpenSSH client into the server's SSH endpoint (io.msb.ssh,
 * decision 1053), as that sandbox. A thin wrapper: ssh does the terminal, the keys and the exit status.
 */
@Command(name = "ssh", mixinStandardHelpOptions = true,
        description = "Open a shell (or run COMMAND) in a sandbox through the server's SSH endpoint with the host's ssh.")
final class SshCommand implements Callable<Integer> {
    static final int DEFAULT_PORT = 2222;
    private static final Pattern SANDBOX_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "NAME", description = "Sandbox name (the SSH user).")
    String name;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command to run instead of a shell.")
    List<String> command = new ArrayList<>();

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "The SSH endpoint's port (default: $MSB_SSH_PORT, else 2222).")
    Integer port;

    @Option(names = {"-i", "--identity"}, paramLabel = "FILE", description = "Private key file, passed to ssh -i.")
    String identity;

    SshCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<String> argv = argv(System.console() != null);
        try {
            return new ProcessBuilder(argv).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new CliException("cannot run ssh (install OpenSSH's client): " + e.getMessage());
        }
    }

    /**
     * The ssh command line: the server's host (from MSB_API_URL), the port, the sandbox as the user, and {@code -t}
     * for a command run from a terminal (ssh allocates one for a shell by itself).
     */
    List<String> argv(boolean terminal) {
        if (!SANDBOX_NAME.matcher(name).matches()) {
            throw new CliException("NAME: '" + name + "' is not a sandbox name (1-128 letters, digits, '.', '_', '-',"
                    + " starting with a letter or digit)");
        }
        List<String> words = ProcessOptions.withoutSeparator(command);
        List<String> argv = new ArrayList<>(List.of("ssh", "-p", Integer.toString(port())));
        if (identity != null) {
            argv.addAll(List.of("-i", identity));
        }
        if (terminal && !words.isEmpty()) {
            argv.add("-t");
        }
        String host = Config.parseUrl(cli.env.getOrDefault("MSB_API_URL", "").isBlank() ? Config.DEFAULT_URL
                : cli.env.get("MSB_API_URL").trim()).getHost();
        argv.addAll(List.of("--", name + "@" + host));
        argv.addAll(words);
        return argv;
    }

    private int port() {
        if (port != null) {
            return checkPort("--port", Integer.toString(port));
        }
        String fromEnv = cli.env.get("MSB_SSH_PORT");
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT_PORT : checkPort("MSB_SSH_PORT", fromEnv.trim());
    }

    private static int checkPort(String field, String value) {
        try {
            int p = Integer.parseInt(value);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new CliException(field + ": must be a port number 1-65535, got " + value);
    }
}
