package io.msb.backend.cloud.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.backend.cloud.internal.Placements.Placement;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend against {@link RemoteMsbFakeForTests}: errors, an absent remote, and the placement journal. */
class CloudBackendTest {
    @TempDir
    Path home;
    private RemoteMsbFakeForTests remote;
    private CloudBackend backend;

    @BeforeEach
    void start() throws IOException {
        remote = new RemoteMsbFakeForTests();
        backend = backend(remote);
    }

    @AfterEach
    void stop() {
        backend.deactivate();
        remote.close();
    }

    private CloudBackend backend(RemoteMsbFakeForTests fake) {
        return new CloudBackend(fake.config(Map.of("healthIntervalSecs", 3600, "connectTimeoutSecs", 2)), home,
                RemoteMsbFakeForTests.KEY);
    }

    private static SandboxSpec spec(String name) {
        return SandboxSpec.builder(name).image("alpine").label("team", "a").build();
    }

    @Test
    void createPlacesTheSandboxOnTheRemoteAndListsIt() {
        backend.create(spec("one"));

        assertTrue(remote.sandboxes.containsKey("one"));
        assertEquals("Bearer " + RemoteMsbFakeForTests.KEY, remote.authorizations.get(remote.authorizations.size() - 1));
        SandboxInfo info = backend.get("one").orElseThrow();
        assertEquals(SandboxStatus.RUNNING, info.status());
        assertEquals("cloud", info.spec().backend());
        assertEquals("a", info.spec().labels().get("team"));
        assertTrue(info.backendAvailable());
        assertEquals(List.of("one"), backend.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());
        assertEquals(List.of(), backend.list(new LabelSelector(Map.of("team", "b"))));
        assertEquals("one", backend.getById(info.id()).orElseThrow().name());
        // the spec's own backend is the caller's business: the remote uses its default
        assertFalse(remote.bodies.get(remote.bodies.size() - 1).has("backend"));
    }

    @Test
    void onlyWhatItPlacedIsItsOwn() {
        remote.add("theirs");

        assertTrue(backend.get("theirs").isEmpty());
        assertThrows(NotFoundException.class, () -> backend.handle("theirs"));
        assertEquals(List.of(), backend.list(LabelSelector.ALL));
    }

    @Test
    void remoteErrorsKeepTheirKindAndMessage() {
        remote.add("taken");
        AlreadyExistsException exists = assertThrows(AlreadyExistsException.class, () -> backend.create(spec("taken")));
        assertEquals("sandbox already exists: taken", exists.getMessage());
        assertTrue(backend.get("taken").isEmpty(), "a refused create leaves no placement");

        remote.scripted.put("POST /v1/sandboxes", Map.entry(400, "{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"resources.vcpus: must be 1..4\",\"details\":{\"field\":\"resources.vcpus\"}}}"));
        InvalidConfigException invalid = assertThrows(InvalidConfigException.class, () -> backend.create(spec("x")));
        assertEquals("resources.vcpus", invalid.field());
        assertTrue(invalid.getMessage().contains("resources.vcpus: must be 1..4"), invalid.getMessage());

        backend.create(spec("one"));
        remote.scripted.put("POST /v1/sandboxes/by-name/one/start", Map.entry(409,
                RemoteMsbFakeForTests.error("invalid_state_transition", "cannot start sandbox one: it is running")));
        InvalidStateException state = assertThrows(InvalidStateException.class, () -> backend.start("one"));
        assertEquals("cannot start sandbox one: it is running", state.getMessage());

        remote.scripted.put("POST /v1/sandboxes/by-name/one/pause", Map.entry(501,
                RemoteMsbFakeForTests.error("not_supported", "this VMM backend cannot pause")));
        assertEquals("this VMM backend cannot pause",
                assertThrows(UnsupportedFeatureException.class, () -> backend.pause("one")).getMessage());

        remote.scripted.put("POST /v1/sandboxes/by-name/one/kill", Map.entry(500,
                RemoteMsbFakeForTests.error("internal_error", "disk full")));
        MsbException internal = assertThrows(MsbException.class, () -> backend.kill("one"));
        assertTrue(internal.getMessage().contains("500 internal_error: disk full"), internal.getMessage());
        assertTrue(internal.getMessage().contains("backend cloud (POST " + remote.url()), internal.getMessage());

        // a route the remote does not have (an older server) is a missing feature, naming the backend
        UnsupportedFeatureException noRoute = assertThrows(UnsupportedFeatureException.class,
                () -> backend.handle("one").processes());
        assertTrue(noRoute.getMessage().startsWith("backend cloud"), noRoute.getMessage());
    }

    /** The remote's metrics body, with microsandbox's figures (decision 1877) and without (an older server). */
    @Test
    void metricsReadTheNewFiguresWhenTheRemoteSendsThem() {
        backend.create(spec("one"));
        String base = "\"id\":\"a1\",\"name\":\"one\",\"pid\":77,\"cpu_time_ms\":1500,\"rss_bytes\":1024,"
                + "\"sampled_at\":\"2026-12-07T04:00:00Z\",\"guest_memory\":{\"total_bytes\":100,"
                + "\"available_bytes\":40,\"used_bytes\":60},\"network\":null";
        remote.scripted.put("GET /v1/sandboxes/by-name/one/metrics", Map.entry(200, "{" + base + ",\"cpu_percent\":12.5,"
                + "\"memory_limit_bytes\":268435456,\"disk_read_bytes\":4096,\"disk_write_bytes\":512,"
                + "\"uptime_secs\":9.25}"));
        SandboxMetrics m = backend.handle("one").metrics();
        assertEquals(new SandboxMetrics(77, Duration.ofMillis(1500), 1024, Instant.parse("2026-12-07T04:00:00Z"),
                new SandboxMetrics.GuestMemory(100, 40), null, new SandboxMetrics.Disk(4096, 512), 268435456L,
                Duration.ofMillis(9250), 12.5), m);

        remote.scripted.put("GET /v1/sandboxes/by-name/one/metrics", Map.entry(200, "{" + base + "}"));
        SandboxMetrics old = backend.handle("one").metrics();
        assertEquals(new SandboxMetrics(77, Duration.ofMillis(1500), 1024, Instant.parse("2026-12-07T04:00:00Z"),
                new SandboxMetrics.GuestMemory(100, 40), null), old);
    }

    @Test
    void aRefusedKeyIsReportedWithoutTheKey() {
        CloudBackend wrong = new CloudBackend(remote.config(Map.of("healthIntervalSecs", 3600)), home, "not-the-key");
        try {
            MsbException e = assertThrows(MsbException.class, () -> wrong.create(spec("one")));
            assertTrue(e.getMessage().contains("refused the API key"), e.getMessage());
            assertFalse(e.getMessage().contains("not-the-key"));
            assertFalse(wrong.toString().contains("not-the-key"));
        } finally {
            wrong.deactivate();
        }
    }

    @Test
    void aRemoteThatGoesAwayLeavesItsSandboxesUnreachableNotLost() throws IOException {
        backend.create(spec("one"));
        String url = remote.url();
        remote.close();

        backend.checkHealth();
        assertFalse(backend.available());
        SandboxInfo info = backend.get("one").orElseThrow();
        assertFalse(info.backendAvailable());
        assertEquals(SandboxStatus.RUNNING, info.status(), "the last status known, never Crashed");
        assertEquals(List.of("one"), backend.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());
        MsbException e = assertThrows(MsbException.class, () -> backend.handle("one").exec(ExecOptions.of("true").build()));
        assertTrue(e.getMessage().contains("backend cloud") && e.getMessage().contains(url), e.getMessage());
        assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());

        // a create that could not even connect leaves nothing behind
        assertThrows(RemoteUnreachableException.class, () -> backend.create(spec("two")));
        assertTrue(new Placements(placementsDir()).get("two").isEmpty());
    }

    @Test
    void theJournalOutlivesTheBackendAndSettlesPendingCreates() throws IOException {
        backend.create(spec("placed"));
        remote.add("confirmed");
        Placements journal = new Placements(placementsDir());
        // as a crash between the journal's pending entry and the remote's answer leaves them
        journal.put(new Placement("confirmed", true, WireSpec.body(spec("confirmed"), "cloud", false), null));
        journal.put(new Placement("never", true, WireSpec.body(spec("never"), "cloud", false), null));
        backend.deactivate();

        CloudBackend again = backend(remote);
        try {
            again.checkHealth();
            assertTrue(again.available());
            assertEquals(List.of("confirmed", "placed"),
                    again.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());
            assertTrue(journal.get("never").isEmpty(), "a create the remote never saw is forgotten");
            assertFalse(journal.get("confirmed").orElseThrow().pending());
        } finally {
            again.deactivate();
        }
    }

    @Test
    void aSandboxRemovedOnTheRemoteIsDropped() {
        backend.create(spec("one"));
        remote.sandboxes.remove("one");

        assertTrue(backend.get("one").isEmpty());
        assertTrue(new Placements(placementsDir()).get("one").isEmpty());
    }

    @Test
    void stopAndRemoveGoToTheRemote() {
        backend.create(spec("one"));
        backend.stop("one", null);
        assertEquals(SandboxStatus.STOPPED, backend.get("one").orElseThrow().status());

        backend.remove("one", false);
        assertFalse(remote.sandboxes.containsKey("one"));
        assertTrue(backend.get("one").isEmpty());
        assertThrows(NotFoundException.class, () -> backend.remove("one", true));
    }

    @Test
    void execIsCollectedAndStreamed() throws InterruptedException {
        backend.create(spec("one"));

        ExecResult r = backend.handle("one").exec(ExecOptions.of("echo", "hello", "there").build());
        assertEquals("hello there", r.stdoutText());
        assertEquals(3, r.exit().code());

        List<ExecEvent> events = new CopyOnWriteArrayList<>();
        var session = backend.handle("one").execStream(ExecOptions.of("echo", "x").stdin(new byte[] {1}).build(),
                events::add);
        assertEquals(3, session.waitFor(null).code());
        assertInstanceOf(ExecEvent.Started.class, events.get(0));
        assertEquals("x", new String(((ExecEvent.Stdout) events.get(1)).data()));
        assertInstanceOf(ExecEvent.Exited.class, events.get(2));
        assertEquals("AQ==", remote.bodies.get(remote.bodies.size() - 1).path("stdin").asText());

        remote.scripted.put("POST /v1/sandboxes/by-name/one/exec", Map.entry(200,
                "{\"type\":\"error\",\"kind\":\"not_found\",\"message\":\"nope: not found\"}\n"));
        ExecFailedException failed = assertThrows(ExecFailedException.class,
                () -> backend.handle("one").exec(ExecOptions.of("nope").build()));
        assertEquals(io.msb.api.exec.ExecFailureKind.NOT_FOUND, failed.kind());

        assertThrows(UnsupportedFeatureException.class,
                () -> backend.handle("one").exec(ExecOptions.of("sh").tty(24, 80).build()));
    }

    @Test
    void logsAreReadFromTheRemotesEvents() throws InterruptedException {
        backend.create(spec("one"));

        List<LogEntry> entries = new ArrayList<>();
        try (LogStream logs = backend.logs("one", EnumSet.of(LogSource.STDOUT), LogCursor.EMPTY, false)) {
            while (!logs.ended()) {
                entries.addAll(logs.next(10, Duration.ofSeconds(30)));
            }
        }
        assertEquals(1, entries.size());
        assertEquals("hello", entries.get(0).text());
        assertEquals(LogSource.STDOUT, entries.get(0).source());
    }

    @Test
    void whatTheRemoteCannotCarryIsRefusedNamingTheField() {
        InvalidConfigException mounts = assertThrows(InvalidConfigException.class, () -> backend.create(
                SandboxSpec.builder("m").image("alpine").mount(io.msb.api.Mount.tmpfs("/tmp", 16)).build()));
        assertEquals("mounts", mounts.field());
        InvalidConfigException host = assertThrows(InvalidConfigException.class, () -> backend.create(
                SandboxSpec.builder("h").rootfs(new io.msb.api.RootfsSource.HostDirectory(Path.of("/srv"))).build()));
        assertEquals("rootfs", host.field());
        assertTrue(remote.sandboxes.isEmpty());
        assertTrue(new Placements(placementsDir()).all().isEmpty());
    }

    @Test
    void theConfigurationIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> CloudBackend.url("ftp://127.0.0.1/"));
        assertThrows(IllegalArgumentException.class, () -> CloudBackend.url("http://user:pw@127.0.0.1/"));
        assertEquals("http://127.0.0.1:5555/", CloudBackend.url("http://127.0.0.1:5555").toString());
        assertThrows(IllegalArgumentException.class, () -> CloudBackend.name("local"));
        assertThrows(IllegalArgumentException.class, () -> CloudBackend.name("a/b"));
    }

    private Path placementsDir() {
        return home.resolve("backends/cloud/placements");
    }
}
