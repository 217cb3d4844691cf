package io.msb.store.internal;

import static io.msb.store.internal.StoreFixture.T0;
import static io.msb.store.internal.StoreFixture.count;
import static io.msb.store.internal.StoreFixture.sandbox;
import static io.msb.store.internal.StoreFixture.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sandboxes, labels and runs through {@link SandboxStore}. */
class SandboxStoreTest extends WithOpenStore {
    SandboxStore store;

    @BeforeEach
    void sandboxes() {
        store = db.sandboxes();
    }

    // sandboxes

    @Test
    void insertFindUpdateStatusDeleteSandbox() {
        SandboxRecord s = sandbox("web", Map.of("team", "a", "tier", "front"));
        store.insertSandbox(s);
        assertEquals(Optional.of(s), store.findSandbox("web"));
        assertEquals(Optional.empty(), store.findSandbox("nope"));

        Instant t1 = T0.plusSeconds(5);
        store.updateStatus("web", SandboxStatus.STOPPED, t1.plusSeconds(1));
        SandboxRecord stopped = store.findSandbox("web").orElseThrow();
        assertEquals(SandboxStatus.STOPPED, stopped.status());
        assertEquals(t1.plusSeconds(1), stopped.updatedAt());
        assertEquals(T0, stopped.createdAt());

        store.updateConfig("web", "{\"v\":2}");
        SandboxRecord changed = store.findSandbox("web").orElseThrow();
        assertEquals("{\"v\":2}", changed.configJson());
        assertEquals(SandboxStatus.STOPPED, changed.status());
        assertEquals(stopped.updatedAt(), changed.updatedAt(), "a new spec is not a status change");
        assertThrows(NotFoundException.class, () -> store.updateConfig("ghost", "{}"));

        assertTrue(store.deleteSandbox("web"));
        assertFalse(store.deleteSandbox("web"));
        assertEquals(Optional.empty(), store.findSandbox("web"));
    }

    @Test
    void duplicateNameIsAlreadyExistsAndMissingIsNotFound() {
        store.insertSandbox(sandbox("dup", Map.of()));
        var e = assertThrows(AlreadyExistsException.class, () -> store.insertSandbox(sandbox("dup", Map.of())));
        assertEquals("sandbox already exists: dup", e.getMessage());
        assertThrows(NotFoundException.class, () -> store.updateStatus("ghost", SandboxStatus.RUNNING, T0));
    }

    @Test
    void badInputNamesTheFieldAndTheRule() {
        var tooLong = assertThrows(InvalidConfigException.class, () -> store.insertSandbox(sandbox("é".repeat(65), Map.of())));
        assertEquals("invalid config: name: longer than 128 bytes", tooLong.getMessage());
        var empty = assertThrows(InvalidConfigException.class, () -> store.insertSandbox(sandbox("", Map.of())));
        assertEquals("name", empty.field());
        var label = assertThrows(InvalidConfigException.class,
                () -> store.insertSandbox(sandbox("x", Map.of("k", "v".repeat(4097)))));
        assertEquals("invalid config: labels[k]: longer than 4096 characters", label.getMessage());
        var json = assertThrows(InvalidConfigException.class, () -> store.insertSandbox(new SandboxRecord("x",
                "x".repeat(1_000_001), SandboxStatus.CREATED, false, Map.of(), T0, T0)));
        assertEquals("configJson", json.field());
        var created = assertThrows(InvalidConfigException.class, () -> store.insertSandbox(new SandboxRecord("x",
                "{}", SandboxStatus.CREATED, false, Map.of(), null, T0)));
        assertEquals("invalid config: createdAt: required", created.getMessage());
        var pid = assertThrows(InvalidConfigException.class, () -> store.startRun("x", 0, T0, SandboxStatus.RUNNING));
        assertEquals("pid", pid.field());
        assertEquals(Optional.empty(), store.findSandbox("x"));
    }

    @Test
    void deleteSandboxCascadesToLabelsAndRuns() throws Exception {
        store.insertSandbox(sandbox("gone", Map.of("a", "1", "b", "2")));
        store.startRun("gone", 42, T0, SandboxStatus.RUNNING);
        assertEquals(2, count(home, "SELECT COUNT(*) FROM sandbox_labels"));
        assertEquals(1, count(home, "SELECT COUNT(*) FROM runs"));
        assertTrue(store.deleteSandbox("gone"));
        assertEquals(0, count(home, "SELECT COUNT(*) FROM sandbox_labels"));
        assertEquals(0, count(home, "SELECT COUNT(*) FROM runs"));
        assertEquals(List.of(), store.runs("gone"));
    }

    // label selectors

    @Test
    void labelSelectorsFilterInSql() {
        store.insertSandbox(sandbox("a", Map.of("env", "prod", "team", "x")));
        store.insertSandbox(sandbox("b", Map.of("env", "dev", "team", "x")));
        store.insertSandbox(sandbox("c", Map.of("env", "prod")));
        store.insertSandbox(sandbox("d", Map.of()));

        assertEquals(List.of("a", "b", "c", "d"), names(LabelSelector.ALL));
        assertEquals(List.of("a", "b", "c", "d"), names(null));
        assertEquals(List.of("a", "c"), names(LabelSelector.parse("env=prod")));
        assertEquals(List.of("a", "b"), names(LabelSelector.parse("team")));
        assertEquals(List.of("a"), names(LabelSelector.parse("env=prod,team=x")));
        assertEquals(List.of(), names(LabelSelector.parse("env=prod,team=y")));
        assertEquals(List.of(), names(LabelSelector.parse("missing")));
        // the matching sandboxes come back with all their labels, not only the selected ones
        assertEquals(Map.of("env", "prod", "team", "x"),
                store.listSandboxes(LabelSelector.parse("team=x")).get(0).labels());
        // SQL filtering agrees with the API's in-memory definition
        for (String sel : List.of("env", "env=dev", "team=x,env", "env=")) {
            LabelSelector s = LabelSelector.parse(sel);
            List<String> expected = store.listSandboxes(LabelSelector.ALL).stream()
                    .filter(r -> s.matches(r.labels())).map(SandboxRecord::name).collect(Collectors.toList());
            assertEquals(expected, names(s), sel);
        }
    }

    @Test
    void sandboxesAreFoundByTheirPublicId() {
        SandboxRecord web = sandbox("web", Map.of("team", "a"));
        store.insertSandbox(web);
        assertEquals(Optional.of(web), store.findSandboxById(web.id()));
        assertEquals(Optional.empty(), store.findSandboxById(UUID.randomUUID()));
        // a sandbox made again under the same name is another sandbox: a new id, the old one finds nothing
        store.deleteSandbox("web");
        SandboxRecord again = new SandboxRecord("web", "{}", SandboxStatus.CREATED, false, Map.of(), T0, T0);
        store.insertSandbox(again);
        assertEquals(Optional.empty(), store.findSandboxById(web.id()));
        assertEquals(again.id(), store.findSandbox("web").orElseThrow().id());
        assertThrows(AlreadyExistsException.class, () -> store.insertSandbox(new SandboxRecord(again.id(), "other",
                "{}", SandboxStatus.CREATED, false, Map.of(), T0, T0)), "ids are unique");
    }

    @Test
    void pagesFollowNamesAfterTheCursorAndTheSelector() {
        for (String name : List.of("d", "b", "e", "a", "c")) {
            store.insertSandbox(sandbox(name, name.compareTo("c") <= 0 ? Map.of("low", "y", "k", name) : Map.of()));
        }
        assertEquals(List.of("a", "b"), page(LabelSelector.ALL, null, 2));
        assertEquals(List.of("c", "d"), page(LabelSelector.ALL, "b", 2));
        assertEquals(List.of("e"), page(LabelSelector.ALL, "d", 2));
        assertEquals(List.of(), page(LabelSelector.ALL, "e", 2));
        assertEquals(List.of("c", "d", "e"), page(null, "bb", 10), "the cursor need not be a name that exists");
        assertEquals(List.of("b", "c"), page(LabelSelector.parse("low=y"), "a", 5));
        assertEquals(List.of("c"), page(LabelSelector.parse("low=y,k=c"), null, 5));
        // each sandbox once, with all its labels, although the label join has a row per label
        List<SandboxRecord> labelled = store.listSandboxes(LabelSelector.parse("low"), null, 2);
        assertEquals(List.of(sandbox("a", Map.of("low", "y", "k", "a")), sandbox("b", Map.of("low", "y", "k", "b"))),
                labelled);
        // page after page gives what the whole list gives
        List<String> walked = new ArrayList<>();
        for (List<String> p = page(null, null, 1); !p.isEmpty(); p = page(null, walked.get(walked.size() - 1), 1)) {
            walked.addAll(p);
        }
        assertEquals(names(LabelSelector.ALL), walked);
        assertEquals("limit", assertThrows(InvalidConfigException.class,
                () -> store.listSandboxes(LabelSelector.ALL, null, 0)).field());
    }

    private List<String> page(LabelSelector selector, String after, int limit) {
        return store.listSandboxes(selector, after, limit).stream().map(SandboxRecord::name).toList();
    }

    private List<String> names(LabelSelector selector) {
        return store.listSandboxes(selector).stream().map(SandboxRecord::name).collect(Collectors.toList());
    }

    // runs

    @Test
    void runLifecycle() {
        store.insertSandbox(sandbox("r", Map.of()));
        assertEquals(Optional.empty(), store.latestRun("r"));
        RunRecord first = store.startRun("r", 100, T0, SandboxStatus.RUNNING);
        assertTrue(first.running());
        assertEquals(SandboxStatus.RUNNING, store.findSandbox("r").orElseThrow().status());
        assertThrows(StillRunningException.class, () -> store.startRun("r", 101, T0, SandboxStatus.RUNNING));

        Instant end = T0.plusSeconds(3);
        store.terminateRun(first.id(), TerminationReason.SIGNAL, null, 9, end, SandboxStatus.CRASHED);
        RunRecord ended = store.latestRun("r").orElseThrow();
        assertEquals(new RunRecord(first.id(), "r", 100, T0, end, TerminationReason.SIGNAL, null, 9), ended);
        assertEquals(SandboxStatus.CRASHED, store.findSandbox("r").orElseThrow().status());
        assertEquals(end, store.findSandbox("r").orElseThrow().updatedAt());
        var again = assertThrows(MsbException.class, () -> store.terminateRun(first.id(),
                TerminationReason.COMPLETED, 0, null, end, SandboxStatus.STOPPED));
        assertEquals("run " + first.id() + " is already terminated", again.getMessage());

        RunRecord second = store.startRun("r", 200, end, SandboxStatus.RUNNING);
        store.terminateRun(second.id(), TerminationReason.COMPLETED, 0, null, end.plusSeconds(1),
                SandboxStatus.STOPPED);
        assertEquals(List.of(first.id(), second.id()), store.runs("r").stream().map(RunRecord::id).toList());
        assertEquals(0, store.latestRun("r").orElseThrow().exitCode());
        assertNull(store.latestRun("r").orElseThrow().signal());

        assertThrows(NotFoundException.class, () -> store.startRun("ghost", 1, T0, SandboxStatus.RUNNING));
        assertThrows(NotFoundException.class, () -> store.terminateRun(999_999, TerminationReason.COMPLETED, 0,
                null, T0, SandboxStatus.STOPPED));
    }

    @Test
    void startRunIsAtomic() throws Exception {
        store.insertSandbox(sandbox("a", Map.of()));
        // test-only constraint: the status update, which comes after the run insert, fails
        sql(home, "ALTER TABLE sandboxes ADD CONSTRAINT test_no_paused CHECK (status <> 'PAUSED')");
        assertThrows(MsbException.class, () -> store.startRun("a", 7, T0, SandboxStatus.PAUSED));
        assertEquals(List.of(), store.runs("a"));
        assertEquals(SandboxStatus.CREATED, store.findSandbox("a").orElseThrow().status());
    }

    @Test
    void terminateRunIsAtomic() throws Exception {
        store.insertSandbox(sandbox("a", Map.of()));
        RunRecord run = store.startRun("a", 7, T0, SandboxStatus.RUNNING);
        sql(home, "ALTER TABLE sandboxes ADD CONSTRAINT test_no_crashed CHECK (status <> 'CRASHED')");
        assertThrows(MsbException.class, () -> store.terminateRun(run.id(), TerminationReason.INTERNAL_ERROR,
                null, null, T0, SandboxStatus.CRASHED));
        assertTrue(store.latestRun("a").orElseThrow().running(), "the run update must be rolled back");
        assertEquals(SandboxStatus.RUNNING, store.findSandbox("a").orElseThrow().status());
    }

    @Test
    void insertSandboxIsAtomic() throws Exception {
        sql(home, "ALTER TABLE sandbox_labels ADD CONSTRAINT test_no_boom CHECK (label_value <> 'boom')");
        assertThrows(MsbException.class, () -> store.insertSandbox(sandbox("a", Map.of("ok", "1", "bad", "boom"))));
        assertEquals(Optional.empty(), store.findSandbox("a"));
        assertEquals(0, count(home, "SELECT COUNT(*) FROM sandbox_labels"));
    }

    @Test
    void concurrentStartsOfOneSandboxOpenOneRun() throws Exception {
        store.insertSandbox(sandbox("race", Map.of()));
        List<Callable<RunRecord>> starts = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            long pid = i;
            starts.add(() -> store.startRun("race", pid, T0, SandboxStatus.RUNNING));
        }
        assertEquals(1, succeeded(starts, StillRunningException.class), "the other 7 are refused");
        assertEquals(1, store.runs("race").size());
    }

    @Test
    void concurrentInsertsOfOneNameCreateOneSandbox() throws Exception {
        List<Callable<Boolean>> inserts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Map<String, String> labels = Map.of("writer", Integer.toString(i));
            inserts.add(() -> {
                store.insertSandbox(sandbox("same", labels));
                return true;
            });
        }
        assertEquals(1, succeeded(inserts, AlreadyExistsException.class));
        assertEquals(1, store.findSandbox("same").orElseThrow().labels().size());
    }

    /** Runs the tasks on four threads at once; how many succeeded, each other one having failed with refusal. */
    private static <T> int succeeded(List<Callable<T>> tasks, Class<? extends Exception> refusal)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            int ok = 0;
            for (Future<T> f : pool.invokeAll(tasks)) {
                try {
                    f.get();
                    ok++;
                } catch (ExecutionException e) {
                    assertTrue(refusal.isInstance(e.getCause()), e.getCause().toString());
                }
            }
            return ok;
        } finally {
            pool.shutdownNow();
        }
    }
}
