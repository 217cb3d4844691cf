package io.msb.webconsole.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.image.ImageConfig;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.LayerInfo;
import io.msb.api.image.PullEvent;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The pages' real HTML with hostile values: every one must come out as text, never as markup. */
class RenderingTest {
    private static final String SCRIPT = "<script>alert(1)</script>";
    private static final String IMG = "\"><img src=x onerror=alert(2)>";
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private static SandboxInfo sandbox(String name, SandboxStatus status, Map<String, String> labels) {
        SandboxSpec spec = SandboxSpec.builder(name).image("builtin:busybox").cpus(2).memoryMib(512)
                .labels(labels).env("TOKEN", "s3cret-value").build();
        RunInfo run = status == SandboxStatus.RUNNING
                ? new RunInfo(7, 4242, NOW.minusSeconds(3725), null, null, null, null)
                : new RunInfo(7, 4242, NOW.minusSeconds(7200), NOW.minusSeconds(90), TerminationReason.SIGNAL, null, 9);
        return new SandboxInfo(UUID.randomUUID(), name, status, spec, NOW.minusSeconds(9000), NOW.minusSeconds(90),
                Optional.of(run), Optional.empty());
    }

    private static void assertInert(String html) {
        assertFalse(html.contains("<script>alert"), html);
        assertFalse(html.contains("<img"), html);
        assertFalse(html.contains(IMG), html);
    }

    @Test
    void listingShowsHostileLabelsAndNamesAsText() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("xss", SCRIPT);
        labels.put("attr", IMG);
        Html h = new Html();
        new SandboxesView("/system/console/msb", "tok\"en", NOW)
                .list(h, List.of(sandbox("web" + IMG, SandboxStatus.RUNNING, labels)), "next" + IMG, null);
        String html = h.toString();
        assertInert(html);
        assertTrue(html.contains("xss=&lt;script&gt;alert(1)&lt;/script&gt;"), html);
        assertTrue(html.contains("attr=\"&gt;&lt;img src=x onerror=alert(2)&gt;"), html);
        assertTrue(html.contains("value=\"tok&#34;en\""), "the token is escaped in its attribute too");
        assertTrue(html.contains("?name=web%22%3E%3Cimg"), "links carry names URL-encoded");
        assertTrue(html.contains("<span class=\"msb-status msb-running\">RUNNING</span>"));
        assertTrue(html.contains("<td class=\"msb-uptime\">1h 2m</td>"), html);
        assertTrue(html.contains("?after=next%22%3E"), "the next page link");
    }

    @Test
    void listingBoundsLabelsAndTheirLength() {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            labels.put("k" + i, "v".repeat(1000));
        }
        Html h = new Html();
        new SandboxesView("/c/msb", "t", NOW).list(h, List.of(sandbox("many", SandboxStatus.STOPPED, labels)), null,
                null);
        String html = h.toString();
        assertEquals(SandboxesView.LABELS_SHOWN, html.split("class=\"msb-label\"", -1).length - 1);
        assertTrue(html.contains("+4 more"));
        assertFalse(html.contains("v".repeat(Html.MAX_VALUE + 1)), "values are cut");
        assertTrue(html.contains("<td class=\"msb-idle\">1m 30s</td>"), "idle since the run ended: " + html);
        assertTrue(html.contains("value=\"start\""), "a stopped sandbox offers Start");
        assertFalse(html.contains("value=\"kill\""), "but not Kill");
    }

    @Test
    void detailEscapesLogsAndHidesEnvironmentValues() {
        Html h = new Html();
        LogEntry line = new LogEntry(LogSource.STDERR, NOW, "boom " + SCRIPT, 1L, LogCursor.of(1, 10));
        SandboxMetrics m = new SandboxMetrics(4242, Duration.ofSeconds(3), 64L << 20, NOW,
                new SandboxMetrics.GuestMemory(512L << 20, 384L << 20), new SandboxMetrics.Network(2048, 1024, 4, 3));
        SandboxInfo d = sandbox("d", SandboxStatus.RUNNING, Map.of("a", IMG));
        List<RunInfo> runs = List.of(d.currentRun().orElseThrow(),
                new RunInfo(6, 4100, NOW.minusSeconds(5000), NOW.minusSeconds(4000), TerminationReason.IDLE_TIMEOUT,
                        null, null),
                new RunInfo(5, 4000, NOW.minusSeconds(8000), NOW.minusSeconds(7000), TerminationReason.COMPLETED, 3,
                        null));
        new SandboxesView("/c/msb", "t", NOW).detail(h, d, runs, m, 12.5, null, List.of(line), null,
                new Flash.Message(true, "name", "taken " + SCRIPT, Map.of()));
        String html = h.toString();
        assertInert(html);
        // every run listed, in the order given (newest first), each with its termination reason
        int running = html.indexOf("(running)");
        int idle = html.indexOf("IDLE_TIMEOUT");
        int completed = html.indexOf("COMPLETED");
        assertTrue(running > 0 && idle > running && completed > idle, html);
        assertTrue(html.contains("[stderr] boom &lt;script&gt;"), html);
        assertTrue(html.contains("TOKEN"));
        assertFalse(html.contains("s3cret-value"), "environment values may be secrets");
        assertTrue(html.contains("12.5 %"));
        assertTrue(html.contains("128.0 MiB of 512.0 MiB"), html);
        assertTrue(html.contains("<b class=\"msb-field\">name</b>: <span class=\"msb-text\">taken &lt;script"));
    }

    @Test
    void imagesAndVolumesEscapeTheirValues() {
        ImageInfo image = new ImageInfo("127.0.0.1:5000/x/" + IMG, "sha256:" + "ab".repeat(32), "sha256:c",
                List.of(new LayerInfo("sha256:d", "sha256:e", "application/vnd.oci.image.layer.v1.tar+gzip", 3 << 20)),
                null, NOW);
        Html h = new Html();
        ImagesPlugin.render(h, "/c/msb-images", "t", List.of(image),
                List.of(new Pulls.State(SCRIPT, "downloading", 1 << 20, 4 << 20, null, null, NOW, false)), null);
        String html = h.toString();
        assertInert(html);
        assertTrue(html.contains("abababababab"), "the short digest");
        assertTrue(html.contains("3.0 MiB"));
        assertTrue(html.contains("value=\"25\""), "the pull's progress bar");

        VolumeInfo v = new VolumeInfo(UUID.randomUUID(), new VolumeSpec("data", VolumeKind.DIRECTORY, 100, null,
                Map.of("owner", SCRIPT)), Path.of("/v/data"), NOW, NOW, 4096, List.of(IMG));
        h = new Html();
        VolumesPlugin.render(h, "/c/msb-volumes", "t", List.of(v), null);
        html = h.toString();
        assertInert(html);
        assertTrue(html.contains("100 MiB"));
    }

    @Test
    void formErrorsNameTheField() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Forms.labels("ok=1\nnokey"));
        assertEquals("labels", e.field());
        assertEquals("cpus", assertThrows(InvalidConfigException.class, () -> Forms.number("cpus", "two", 8)).field());
        assertEquals("memory", assertThrows(InvalidConfigException.class,
                () -> Forms.number("memory", "-1", 8)).field());
        assertEquals(Map.of("a", "1", "b", "x=y"), Forms.labels("a=1\n\n b = x=y \n"));
        assertEquals(0, Forms.number("cpus", " ", 8));
        Flash.Message m = Forms.error(new AlreadyExistsException("sandbox", "web"), Map.of("name", "web"));
        assertTrue(m.error());
        assertEquals("name", m.field());
        Flash.Message other = Forms.error(new IllegalStateException("bad"), Map.of());
        assertEquals("IllegalStateException: bad", other.text());
    }

    @Test
    void tokensAreKeyedPerConsoleAndUser() {
        Csrf csrf = new Csrf();
        assertEquals(csrf.token("admin"), csrf.token("admin"));
        assertNotEquals(csrf.token("admin"), csrf.token("karaf"));
        assertNotEquals(csrf.token("admin"), new Csrf().token("admin"), "a new key on every activation");
    }

    @Test
    void flashMessagesAreReadOnceAndBounded() {
        Flash flash = new Flash();
        String first = flash.put(Flash.Message.ok("one"));
        assertEquals("one", flash.take(first).text());
        assertNull(flash.take(first));
        String old = flash.put(Flash.Message.ok("old"));
        for (int i = 0; i < Flash.MAX; i++) {
            flash.put(Flash.Message.ok("n" + i));
        }
        assertNull(flash.take(old), "the oldest unread message is dropped");
    }

    @Test
    void pullProgressFollowsTheEvents() {
        Map<String, Long> layers = new HashMap<>();
        Pulls.State s = new Pulls.State("alpine", "queued", 0, 0, null, null, NOW, false);
        s = Pulls.next(s, new PullEvent.Resolving("alpine"), layers);
        assertEquals("resolving", s.phase());
        s = Pulls.next(s, new PullEvent.Resolved("sha256:m", 2, 1000), layers);
        s = Pulls.next(s, new PullEvent.LayerProgress("sha256:a", 300, 600), layers);
        s = Pulls.next(s, new PullEvent.LayerProgress("sha256:b", 200, 400), layers);
        s = Pulls.next(s, new PullEvent.LayerProgress("sha256:a", 400, 600), layers);
        assertEquals(600, s.doneBytes());
        assertEquals(60, s.percent());
        assertEquals("unpacking", Pulls.next(s, new PullEvent.Materializing("sha256:m"), layers).phase());
    }
}
