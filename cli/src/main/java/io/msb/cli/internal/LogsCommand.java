package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb logs}: a sandbox's stored output from the server's log event stream (GET …/logs). stdout and terminal
 * output go to stdout, stderr and system entries to stderr. Without {@code -f} it ends at the last stored entry.
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Print a sandbox's captured output (every exec's stdout and stderr, terminal output, and with "
                + "--source system its lifecycle and kernel console).")
final class LogsCommand implements Callable<Integer> {
    /** Longest line of the event stream read; the server's lines are far shorter. */
    static final int MAX_LINE = 4 << 20;
    private final Cli cli;

    @Parameters(paramLabel = "NAME", description = "Sandbox name.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the sandbox stops (or Ctrl-C).")
    boolean follow;

    @Option(names = "--source", split = ",", paramLabel = "SOURCE",
            description = "stdout, stderr, output, system (repeatable or comma-separated). Default: stdout,stderr,output.")
    List<String> sources = new ArrayList<>();

    @Option(names = "--since", paramLabel = "WHEN",
            description = "Only entries from then on: an RFC 3339 time (2026-01-02T03:04:05Z) or an age (30s, 10m, 2h, 1d).")
    String since;

    LogsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        Instant from = since == null ? null : since(since, Instant.now());
        StringBuilder path = new StringBuilder(Cli.byName(name)).append("/logs?follow=").append(follow);
        if (!sources.isEmpty()) {
            path.append("&sources=").append(ApiClient.segment(String.join(",", sources)).replace("%2C", ","));
        }
        try (InputStream events = cli.api().events(path.toString())) {
            print(events, cli.json(), cli.stdout, cli.stderr, from);
        } catch (IOException e) {
            if (!cli.shuttingDown) {
                throw new CliException("reading the logs of " + name + " failed: " + e.getMessage());
            }
        }
        return 0;
    }

    /** {@code --since}: an RFC 3339 time, or an age before {@code now} (s, m, h, d). */
    static Instant since(String text, Instant now) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notATime) {
            // an age, then
        }
        if (text.matches("[0-9]{1,9}[smhd]")) {
            long n = Long.parseLong(text.substring(0, text.length() - 1));
            Duration d = switch (text.charAt(text.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return now.minus(d);
        }
        throw new CliException("--since " + Text.printable(text) + ": must be an RFC 3339 time or an age such as 10m");
    }

    /**
     * Writes the text of each {@code event: log} until {@code event: end} or the end of the stream; entries before
     * {@code since} (null: none) are skipped.
     */
    static void print(InputStream sse, ObjectMapper json, OutputStream stdout, OutputStream stderr, Instant since)
            throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(sse, StandardCharsets.UTF_8));
        String event = null;
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.length() > MAX_LINE) {
                throw new IOException("an event stream line of more than " + MAX_LINE + " characters");
            }
            if (!line.isEmpty()) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.length() > 0 ? "\n" : "").append(line.substring(5).stripLeading());
                }
                continue;
            }
            if ("end".equals(event)) {
                return;
            }
            if ("log".equals(event)) {
                JsonNode entry = json.readTree(data.toString());
                if (since == null || !Instant.parse(entry.path("ts").asText()).isBefore(since)) {
                    String source = entry.path("source").asText().toLowerCase(Locale.ROOT);
                    OutputStream to = source.equals("stdout") || source.equals("output") ? stdout : stderr;
                    to.write(entry.path("text").asText().getBytes(StandardCharsets.UTF_8));
                    to.flush();
                }
            }
            event = null;
            data.setLength(0);
        }
    }
}
