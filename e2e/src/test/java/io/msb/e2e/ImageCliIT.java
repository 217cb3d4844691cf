package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.testing.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code msb pull} and {@code msb image …} (decision 1040) as a user runs them: the distribution's {@code bin/msb}
 * against its server started with {@code bin/msb-server}, pulling from Debian's docker-registry on 127.0.0.1. The
 * issue's done-criterion: on a terminal (util-linux {@code script} gives the CLI a pty) the pull draws a bar per
 * layer and redraws it in place; in a pipe it prints plain lines. No VM is booted.
 */
class ImageCliIT {
    private static final Pattern ESCAPE = Pattern.compile("\033\\[");
    private static MsbServer server;
    private static LocalRegistry registry;
    private static Path work;
    private static String image;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        for (String tool : List.of("/usr/bin/docker-registry", "/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/script")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing (apt-get install docker-registry umoci "
                    + "skopeo util-linux)");
        }
        work = dir;
        registry = LocalRegistry.start(Files.createDirectories(dir.resolve("registry")));
        image = registry.host() + "/e2e/layers:1";
        // two layers of 8 MiB of random bytes each: a pull long enough to report each layer several times
        HostCommand.check(dir, List.of("sh", "-ec", """
                umoci init --layout layout
                umoci new --image layout:t
                for i in 0 1; do
                  head -c 8388608 /dev/urandom > layer$i.bin
                  umoci insert --rootless --image layout:t layer$i.bin /layer$i.bin
                done
                skopeo copy --quiet --dest-tls-verify=false oci:layout:t docker://$1
                """, "sh", image), Map.of());
        server = MsbServer.startBuilt();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void pullDrawsBarsOnATerminalAndLinesInAPipeAndImagesGoRoundTrip() throws Exception {
        // on a terminal: script(1) runs the CLI on a pty and copies what it wrote
        HostCommand.Result tty = HostCommand.run(work, List.of("script", "-qfec", msbLine("pull", image), "/dev/null"),
                env());
        assertEquals(0, tty.exit(), tty.output());
        String screen = tty.output();
        assertTrue(screen.contains("\033[2A"), "the block of two bars is redrawn in place:\n" + visible(screen));
        assertTrue(count(screen, Pattern.compile("\\[=*>? *\\] [0-9.]+ [KM]iB / 8\\.0 MiB  [0-9.]+ [KM]?i?B/s  ETA ")) >= 2,
                "bars with bytes, rate and ETA while the layers arrive:\n" + visible(screen));
        assertEquals(2, Pattern.compile("([0-9a-f]{12}) \\[=+\\] 8\\.0 MiB  done in ").matcher(screen).results()
                .map(m -> m.group(1)).distinct().count(), "both layers end done:\n" + visible(screen));
        assertTrue(screen.contains("Pulled " + image), visible(screen));

        HostCommand.Result ls = msb("image", "ls");
        assertEquals(0, ls.exit(), ls.output());
        assertTrue(Pattern.compile("(?m)^REFERENCE +DIGEST +LAYERS +SIZE +PULLED$").matcher(ls.output()).find(), ls.output());
        assertTrue(Pattern.compile("(?m)^" + Pattern.quote(image) + " +[0-9a-f]{12} +2 +16\\.0 MiB +20").matcher(ls.output())
                .find(), ls.output());

        Path saved = work.resolve("saved.tar");
        assertEquals(0, msb("image", "save", image, "-o", saved.toString()).exit());
        assertTrue(Files.size(saved) > 16 << 20);
        assertEquals(image + "\n", msb("image", "rm", image).output());
        assertEquals("", msb("image", "ls", "-q").output());
        HostCommand.Result gone = msb("image", "inspect", image);
        assertEquals(125, gone.exit());
        assertTrue(gone.output().startsWith("msb: image not found: "), gone.output());

        // in a pipe: plain lines, one per layer start and finish, then the summary
        HostCommand.Result pipe = msb("pull", "--policy", "always", image);
        assertEquals(0, pipe.exit(), pipe.output());
        assertFalse(ESCAPE.matcher(pipe.output()).find(), "no escape sequences in a pipe:\n" + visible(pipe.output()));
        List<String> lines = pipe.output().lines().toList();
        assertEquals("Pulling " + image, lines.get(0));
        assertEquals("Resolved: 2 layers, 16.0 MiB", lines.get(1));
        assertEquals(2, lines.stream().filter(l -> l.matches("[0-9a-f]{12}: downloading 8\\.0 MiB")).count(), pipe.output());
        assertEquals(2, lines.stream().filter(l -> l.matches("[0-9a-f]{12}: done, 8\\.0 MiB in [0-9.]+s")).count(),
                pipe.output());
        assertTrue(lines.get(lines.size() - 1).startsWith("Pulled " + image + " ("), pipe.output());

        assertEquals(0, msb("image", "rm", image).exit());
        HostCommand.Result loaded = msb("image", "load", "-i", saved.toString());
        assertEquals("Loaded image: " + image + "\n", loaded.output());
        assertTrue(msb("image", "inspect", image).output().contains("\"reference\" : \"" + image + "\""));
        HostCommand.Result prune = msb("image", "prune");
        assertTrue(prune.output().startsWith("Reclaimed "), prune.output());
        HostCommand.Result again = msb("pull", image);
        assertTrue(again.output().matches("(?s)Pulling .*\n" + Pattern.quote(image) + " is up to date \\([0-9a-f]{12}\\)\n"),
                again.output());
    }

    private static HostCommand.Result msb(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(server.bin("msb").toString()));
        command.addAll(List.of(args));
        return HostCommand.run(work, command, env());
    }

    /** The command line script(1) runs with sh -c. */
    private static String msbLine(String... args) {
        StringBuilder sb = new StringBuilder(server.bin("msb").toString());
        for (String a : args) {
            sb.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        return sb.toString();
    }

    private static Map<String, String> env() {
        return Map.of("MSB_API_URL", server.url, "MSB_API_KEY", server.apiKey, "MSB_HOME", server.home.toString(),
                "XDG_CACHE_HOME", work.resolve("cache").toString());
    }

    private static int count(String s, Pattern p) {
        return (int) p.matcher(s).results().count();
    }

    /** Escape characters made visible for a failure's message. */
    private static String visible(String s) {
        return s.replace("\033", "<ESC>");
    }
}
