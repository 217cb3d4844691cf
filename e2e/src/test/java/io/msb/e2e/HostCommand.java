package io.msb.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A program on the host, run to its end with no input; for the tests that drive msb from outside (NodeSdkIT). */
final class HostCommand {
    private static final long TIMEOUT_MINUTES = 10;

    private HostCommand() {
    }

    /** The exit status and the whole output, stdout and stderr as they interleaved. */
    record Result(int exit, String output) {
    }

    /** Runs {@code command} in {@code dir} with {@code env} added; one that runs over 10 minutes is killed. */
    static Result run(Path dir, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        Path out = Files.createTempFile("msb-e2e-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(new File("/dev/null"));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(command + " did not finish within " + TIMEOUT_MINUTES + " minutes:\n"
                        + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Like {@link #run}, failing with the output unless the exit status is 0. */
    static String check(Path dir, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        Result r = run(dir, command, env);
        if (r.exit() != 0) {
            throw new IOException(command + " exited " + r.exit() + ":\n" + r.output());
        }
        return r.output();
    }

    /** Deletes a tree without following links (a node_modules link to the shared cache stays a link). */
    static void delete(Path tree) throws IOException {
        if (!Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
