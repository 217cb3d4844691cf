package io.msb.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

/** What every command shares: the terminal's streams, the environment and the API client (made on first use). */
final class Cli {
    /**
     * Made on a second thread while picocli parses ({@link #makeJsonAside}, decision 1962): Jackson's set-up (its
     * date format loads the locale data) is ~50 ms. Commands run without picocli (decision 1963) need no mapper
     * (decision 1964) and do not start it; else {@link #json} makes it on the caller's thread.
     */
    private final FutureTask<ObjectMapper> json = new FutureTask<>(ObjectMapper::new);
    final OutputStream stdout;
    final OutputStream stderr;
    final InputStream stdin;
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    /** Set when Ctrl-C (or SIGTERM) ends the JVM: what fails after that is the shutdown's doing, not news. */
    volatile boolean shuttingDown;
    private final Supplier<Config> config;
    private ApiClient api;
    private Thread maker;

    Cli(OutputStream stdout, OutputStream stderr, InputStream stdin, Map<String, String> env, String launcher) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.stdin = stdin;
        this.out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        this.err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        this.env = env;
        this.config = () -> Config.fromEnvironment(env, launcher);
    }

    /** Starts making the JSON mapper on a second thread (the machine has 2 cores or more), for a later json(). */
    synchronized void makeJsonAside() {
        if (maker == null) {
            maker = new Thread(json, "msb-json");
            maker.setDaemon(true);
            maker.start();
        }
    }

    /** The JSON mapper, waited for if its thread is still making it. */
    ObjectMapper json() {
        json.run(); // a no-op once a thread has started it
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return json.get();
                } catch (InterruptedException e) {
                    interrupted = true; // Ctrl-C's handling interrupts; the mapper is still needed to end cleanly
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot make the JSON mapper", e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Made when a command first talks to the server, so --help and bad arguments never read the key. */
    synchronized ApiClient api() {
        if (api == null) {
            api = new ApiClient(config.get(), this::json);
        }
        return api;
    }

    static String byName(String name) {
        return "/v1/sandboxes/by-name/" + ApiClient.segment(name);
    }

    /** --label values (KEY=VALUE) as a map, in order. */
    static Map<String, String> labels(List<String> labels) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String l : labels) {
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new CliException("--label " + l + ": must be KEY=VALUE with a non-empty KEY");
            }
            result.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return result;
    }
}
