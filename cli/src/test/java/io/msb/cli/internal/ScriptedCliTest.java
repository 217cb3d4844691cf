package io.msb.cli.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** What the command tests share: a {@link ScriptedServer} per test, and the CLI run in-process against it. */
abstract class ScriptedCliTest {
    final ScriptedServer server = startServer();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    /** What the next command reads as stdin. */
    byte[] stdin = new byte[0];
    /** The last command's Cli (its JSON mapper reads request bodies back). */
    Cli cli = cli();

    private static ScriptedServer startServer() {
        try {
            return new ScriptedServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private Cli cli() {
        return new Cli(out, err, new ByteArrayInputStream(stdin), Map.of("MSB_API_URL", server.url(), "MSB_API_KEY",
            "msb_test"), null);
    }

    int msb(String... args) {
        cli = cli();
        return Main.run(args, cli);
    }

    String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
