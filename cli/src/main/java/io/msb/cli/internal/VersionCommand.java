package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code msb version}: this client's version and the server's (GET /v1/version, unauthenticated). */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the client's and the server's versions.")
final class VersionCommand implements Callable<Integer> {
    private final Cli cli;

    VersionCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        cli.out.println("msb client " + clientVersion());
        JsonNode v = cli.api().get("/v1/version");
        cli.out.println("msb server " + Text.cell(v.path("version").asText("?"))
            + " (protocol " + Text.cell(v.path("protocol").asText("?")) + ")");
        return 0;
    }

    static String clientVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Fall through to "unknown": the version is informative only.
        }
        return p.getProperty("version", "unknown");
    }

    /** For {@code msb --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"msb client " + clientVersion()};
        }
    }
}
