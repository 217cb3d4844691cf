package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The snapshot create body's {@code resumable} and the branch body, read strictly and handed to the SnapshotService
 * (a recording one: the runtime's refuses both until its implementation lands).
 */
class SnapshotRoutesTest {
    private final Recording service = new Recording();
    private final SnapshotRoutes routes = new SnapshotRoutes(() -> service, null, null, null);

    private static <T> T read(String json, Class<T> type) {
        return Json.parse(json.getBytes(StandardCharsets.UTF_8), type);
    }

    private Wire.BranchResponse branch(String json) {
        return routes.branch("snap", read(json, Wire.BranchRequest.class));
    }

    /** The message of the 400 that reading or checking the branch body {@code json} ends in. */
    private String refusedBranch(String json) {
        ApiException e = assertThrows(ApiException.class, () -> branch(json));
        assertEquals(400, e.status());
        assertEquals("invalid_request", e.code());
        return e.getMessage();
    }

    @Test
    void resumableTrueCapturesMemoryAndRecordIntegrityIsAccepted() {
        SnapshotInfo made = routes.create(read("{\"name\":\"warm\",\"source_sandbox\":\"dev\",\"labels\":{\"a\":\"b\"},"
                + "\"force\":true,\"record_integrity\":true,\"resumable\":true}", Wire.SnapshotCreateRequest.class));
        assertEquals(List.of("createResumable warm dev {a=b} true"), service.calls);
        assertTrue(SnapshotRoutes.response(made).resumable());

        service.calls.clear();
        routes.create(read("{\"name\":\"cold\",\"source_sandbox\":\"dev\",\"resumable\":false}",
                Wire.SnapshotCreateRequest.class));
        routes.create(read("{\"name\":\"cold\",\"source_sandbox\":\"dev\"}", Wire.SnapshotCreateRequest.class));
        assertEquals(List.of("create cold dev {} false", "create cold dev {} false"), service.calls);
    }

    @Test
    void resumableIsInTheSnapshotJson() throws Exception {
        JsonNode json = Json.MAPPER.readTree(Json.write(SnapshotRoutes.response(Recording.info("warm", true))));
        assertTrue(json.get("resumable").asBoolean(), json.toString());
        JsonNode disk = Json.MAPPER.readTree(Json.write(SnapshotRoutes.response(Recording.info("cold", false))));
        assertEquals(false, disk.get("resumable").asBoolean(true), disk.toString());
    }

    @Test
    void branchByNamesOrByCountAnswersTheSandboxesAsGetDoes() {
        Wire.BranchResponse named = branch("{\"names\":[\"a\",\"b\"]}");
        assertEquals(List.of("branch snap [a, b]"), service.calls);
        assertEquals(List.of("a", "b"), named.sandboxes().stream().map(Wire.SandboxResponse::name).toList());
        assertEquals("running", named.sandboxes().get(0).status());

        service.calls.clear();
        branch("{\"count\":3,\"name_prefix\":\"worker\"}");
        branch("{\"count\":2}"); // the prefix defaults to the snapshot's name
        assertEquals(List.of("branch snap [worker-1, worker-2, worker-3]", "branch snap [snap-1, snap-2]"),
                service.calls);
    }

    @Test
    void branchRefusalsNameTheField() {
        assertEquals("names: is required (or count)", refusedBranch("{}"));
        assertEquals("count: give names or count, not both", refusedBranch("{\"names\":[\"a\"],\"count\":1}"));
        assertEquals("name_prefix: goes with count, not names",
                refusedBranch("{\"names\":[\"a\"],\"name_prefix\":\"p\"}"));
        assertEquals("names: must hold 1 to 64 names, got 0", refusedBranch("{\"names\":[]}"));
        assertEquals("names: holds a twice", refusedBranch("{\"names\":[\"a\",\"b\",\"a\"]}"));
        assertEquals("names: must hold strings, not null", refusedBranch("{\"names\":[\"a\",null]}"));
        assertEquals("count: must be in [1, 64], got 0", refusedBranch("{\"count\":0}"));
        assertEquals("count: must be in [1, 64], got 65", refusedBranch("{\"count\":65}"));
        assertEquals("name_prefix: must not be empty", refusedBranch("{\"count\":1,\"name_prefix\":\"\"}"));
        assertTrue(refusedBranch("{\"count\":\"2\"}").startsWith("count:"));
        assertTrue(refusedBranch("{\"count\":2,\"prefix\":\"p\"}").contains("prefix"));
        assertEquals(List.of(), service.calls, "nothing refused reaches the service");
    }

    @Test
    void branchRouteAnswers201WithTheSandboxesAlsoUnderByName() throws Exception {
        SnapshotRoutes served = new SnapshotRoutes(() -> service, null, new RequestBodies(1 << 20, 16), null);
        Exchange byName = new Exchange("POST", "/v1/snapshots/by-name/snap/branch",
                "{\"count\":2,\"name_prefix\":\"w\"}");
        served.serve(byName.request(), byName.response(), "POST", List.of("by-name", "snap", "branch"));
        assertEquals(201, byName.status);
        JsonNode body = Json.MAPPER.readTree(byName.body.toByteArray());
        assertEquals("w-1", body.get("sandboxes").get(0).get("name").asText(), body.toString());
        assertEquals(2, body.get("sandboxes").size());

        Exchange plain = new Exchange("POST", "/v1/snapshots/snap/branch", "{\"names\":[\"a\"]}");
        served.serve(plain.request(), plain.response(), "POST", List.of("snap", "branch"));
        assertEquals(201, plain.status);
        assertEquals(List.of("branch snap [w-1, w-2]", "branch snap [a]"), service.calls);

        Exchange get = new Exchange("GET", "/v1/snapshots/snap/branch", "");
        ApiException e = assertThrows(ApiException.class,
                () -> served.serve(get.request(), get.response(), "GET", List.of("snap", "branch")));
        assertEquals(405, e.status());
        assertEquals(Map.of("allow", "POST"), e.details());
    }

    /** Records the calls it gets; what create and branch return is made up from their arguments. */
    static final class Recording implements SnapshotService {
        final List<String> calls = new ArrayList<>();

        static SnapshotInfo info(String name, boolean resumable) {
            return new SnapshotInfo(name, "sha256:00", "dev", "docker.io/library/alpine:3.20", null, null, 4096,
                    "sha256:11", Map.of(), Instant.EPOCH, Path.of("/msb/snapshots", name), resumable);
        }

        @Override
        public SnapshotInfo create(String name, String sourceSandbox, Map<String, String> labels, boolean force) {
            calls.add("create " + name + " " + sourceSandbox + " " + labels + " " + force);
            return info(name, false);
        }

        @Override
        public SnapshotInfo createResumable(String name, String sourceSandbox, Map<String, String> labels,
                boolean force) {
            calls.add("createResumable " + name + " " + sourceSandbox + " " + labels + " " + force);
            return info(name, true);
        }

        @Override
        public List<SandboxInfo> branch(String name, List<String> sandboxNames) {
            calls.add("branch " + name + " " + sandboxNames);
            SandboxSpec spec = SandboxSpec.builder("x").image("alpine:3.20").build();
            return sandboxNames.stream().map(n -> new SandboxInfo(UUID.randomUUID(), n, SandboxStatus.RUNNING,
                    spec, Instant.EPOCH, Instant.EPOCH, Optional.empty(), Optional.empty())).toList();
        }

        @Override
        public Optional<SnapshotInfo> get(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<SnapshotInfo> list() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SnapshotInfo verify(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void remove(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void exportTo(String name, Path file) {
            throw new UnsupportedOperationException();
        }

        @Override
        public SnapshotInfo importFrom(Path file, String name, boolean force) {
            throw new UnsupportedOperationException();
        }
    }
}
