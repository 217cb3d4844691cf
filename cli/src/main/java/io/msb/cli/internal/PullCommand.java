package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb pull}: asks the server to pull an image and shows its progress stream (decision 1040): bars on a
 * terminal, plain lines in a pipe. Ctrl-C leaves the display on a fresh line and exits 130; the server finishes the
 * pull (a half-fetched image would only be fetched again).
 */
@Command(name = "pull", mixinStandardHelpOptions = true, description = "Pull an image into the server's cache.")
final class PullCommand implements Callable<Integer> {
    enum Policy { if_missing, always, never }

    enum Progress { auto, tty, plain }

    private final Cli cli;

    @Option(names = "--policy", paramLabel = "POLICY",
        description = "if_missing (the server's default: use the cached image), always (ask the registry again), never.")
    Policy policy;

    @Option(names = "--progress", paramLabel = "MODE",
        description = "auto (bars when stdout is a terminal, else lines; the default), tty (bars), plain (lines).")
    Progress progress = Progress.auto;

    @Parameters(paramLabel = "IMAGE", description = "Image reference, e.g. alpine:3.20 or 127.0.0.1:5000/team/app:1.")
    String image;

    PullCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        ObjectNode body = cli.json().createObjectNode().put("reference", image);
        if (policy != null) {
            body.put("pull_policy", policy.name());
        }
        PullDisplay display = bars() ? new BarDisplay(cli.out, System::nanoTime) : new LineDisplay(cli.out, System::nanoTime);
        Thread interrupted = new Thread(() -> {
            cli.shuttingDown = true;
            display.abandon();
            cli.err.println("msb: pull interrupted; the server completes it (msb image ls shows it)");
        });
        Runtime.getRuntime().addShutdownHook(interrupted);
        try (InputStream stream = cli.api().stream("/v1/images/pull", body)) {
            play(stream, display);
            return 0;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived: the hook runs
            }
        }
    }

    private void play(InputStream stream, PullDisplay display) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        int lineNo = 0;
        for (String line; (line = lines.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue; // keep-alive
            }
            JsonNode event = event(line, lineNo);
            switch (event.get("type").asText()) {
                case "complete" -> {
                    display.complete(event.path("image"));
                    return;
                }
                case "error" -> {
                    display.abandon();
                    throw new CliException(Text.printable(event.path("message").asText("the pull failed")));
                }
                default -> display.event(event);
            }
        }
        display.abandon();
        throw new CliException("the pull stream ended before the pull did: the server closed the connection");
    }

    private JsonNode event(String line, int lineNo) {
        try {
            JsonNode event = cli.json().readTree(line);
            if (event != null && event.isObject() && event.path("type").isTextual()) {
                return event;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new CliException("pull stream line " + lineNo + ": not a JSON object with a type");
    }

    private boolean bars() {
        return switch (progress) {
            case tty -> true;
            case plain -> false;
            case auto -> stdoutIsTerminal();
        };
    }

    /** Where /proc says where fd 1 goes (Linux); elsewhere Java's console, which needs stdin to be one too. */
    static boolean stdoutIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }
}
