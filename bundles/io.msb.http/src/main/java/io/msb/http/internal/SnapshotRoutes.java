package io.msb.http.internal;

import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.snapshot.SnapshotCorruptException;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * msb's disk-snapshot routes (decision 1236), shaped after the cloud contract's (facts §4.3) but synchronous and by
 * name: {@code GET|POST /v1/snapshots}, {@code GET|DELETE /v1/snapshots/{name}} (also under {@code by-name/}) and
 * {@code POST /v1/snapshots/{name}/verify}, {@code GET /v1/snapshots/{name}/archive} (the export tar) and
 * {@code POST /v1/snapshots/import?name=&force=} (a tar as the body). A sandbox starts from one with {@code from_snapshot} in the create body.
 * {@code resumable: true} in the create body captures a running sandbox's memory too, and
 * {@code POST /v1/snapshots/{name}/branch} starts sandboxes from such a snapshot (decisions 1250-1252).
 */
final class SnapshotRoutes {
    /** The most sandboxes one branch request makes: each is a whole VM, and the request holds until all run. */
    static final int MAX_BRANCH = 64;

    private final Supplier<SnapshotService> snapshots;
    private final SandboxService sandboxes;
    private final RequestBodies bodies;
    private final ArchiveFiles archives;

    SnapshotRoutes(Supplier<SnapshotService> snapshots, SandboxService sandboxes, RequestBodies bodies,
            ArchiveFiles archives) {
        this.snapshots = snapshots;
        this.sandboxes = sandboxes;
        this.bodies = bodies;
        this.archives = archives;
    }

    /** Serves {@code /v1/snapshots/<rest>}. */
    void serve(HttpServletRequest req, HttpServletResponse resp, String method, List<String> rest) throws IOException {
        try {
            route(req, resp, method, rest.size() > 1 && rest.get(0).equals("by-name") ? rest.subList(1, rest.size())
                    : rest);
        } catch (SnapshotCorruptException e) {
            throw new ApiException(422, "snapshot_corrupt", e.getMessage(), null);
        } catch (NotFoundException e) {
            throw new ApiException(404, e.getMessage().startsWith("sandbox") ? "sandbox_not_found"
                    : "snapshot_not_found", e.getMessage(), null);
        }
    }

    private void route(HttpServletRequest req, HttpServletResponse resp, String method, List<String> rest)
            throws IOException {
        if (rest.isEmpty()) {
            switch (method) {
                case "GET" -> ApiServlet.send(resp, 200, service().list().stream().map(SnapshotRoutes::response)
                        .toList());
                case "POST" -> ApiServlet.send(resp, 200, response(create(bodies.read(req,
                        Wire.SnapshotCreateRequest.class))));
                default -> throw ApiServlet.notAllowed(req, "GET, HEAD, POST");
            }
            return;
        }
        if (rest.equals(List.of("import"))) { // no snapshot route takes POST on a name, so none is hidden
            if (!method.equals("POST")) {
                throw ApiServlet.notAllowed(req, "POST");
            }
            SnapshotService service = service();
            String name = ApiServlet.query(req, "name");
            if (name == null) {
                throw ApiException.invalid("name", "is required (the query parameter: a tar holds no name)");
            }
            Path tar = archives.receive(req, bodies);
            try {
                ApiServlet.send(resp, 200, response(service.importFrom(tar, name,
                        "true".equals(ApiServlet.query(req, "force")))));
            } finally {
                ArchiveFiles.delete(tar);
            }
            return;
        }
        String name = rest.get(0);
        if (rest.size() == 2 && rest.get(1).equals("archive")) {
            if (!method.equals("GET")) {
                throw ApiServlet.notAllowed(req, "GET, HEAD");
            }
            SnapshotService service = service();
            service.get(name).orElseThrow(() -> new NotFoundException("snapshot", name)); // 404 before any file
            archives.send(resp, tar -> service.exportTo(name, tar));
            return;
        }
        if (rest.size() == 2 && rest.get(1).equals("branch")) {
            if (!method.equals("POST")) {
                throw ApiServlet.notAllowed(req, "POST");
            }
            ApiServlet.send(resp, 201, branch(name, bodies.read(req, Wire.BranchRequest.class)));
            return;
        }
        if (rest.size() == 2 && rest.get(1).equals("verify")) {
            if (!method.equals("POST")) {
                throw ApiServlet.notAllowed(req, "POST");
            }
            ApiServlet.send(resp, 200, response(service().verify(name)));
            return;
        }
        if (rest.size() != 1) {
            throw new ApiException(404, "not_found", "no such route: " + req.getMethod() + " " + req.getRequestURI(),
                    null);
        }
        switch (method) {
            case "GET" -> ApiServlet.send(resp, 200, response(service().get(name)
                    .orElseThrow(() -> new NotFoundException("snapshot", name))));
            case "DELETE" -> {
                service().remove(name);
                ApiServlet.send(resp, 200, new Wire.Message("snapshot " + name + " removed"));
            }
            default -> throw ApiServlet.notAllowed(req, "GET, HEAD, DELETE");
        }
    }

    SnapshotInfo create(Wire.SnapshotCreateRequest r) {
        if (r.name() == null) {
            throw ApiException.invalid("name", "is required");
        }
        String source = r.sourceSandbox();
        if (r.sourceSandboxId() != null) {
            if (source != null) {
                throw ApiException.invalid("source_sandbox_id", "give source_sandbox or source_sandbox_id, not both");
            }
            source = sandboxes.getById(ApiServlet.uuid(r.sourceSandboxId())).map(SandboxInfo::name)
                    .orElseThrow(() -> new NotFoundException("sandbox", r.sourceSandboxId()));
        }
        if (source == null) {
            throw ApiException.invalid("source_sandbox", "is required (or source_sandbox_id)");
        }
        Map<String, String> labels = r.labels() == null ? Map.of() : r.labels();
        boolean force = Boolean.TRUE.equals(r.force());
        // record_integrity needs nothing: every snapshot records its disk's sha256 (decision 1232)
        return Boolean.TRUE.equals(r.resumable()) ? service().createResumable(r.name(), source, labels, force)
                : service().create(r.name(), source, labels, force);
    }

    Wire.BranchResponse branch(String snapshot, Wire.BranchRequest r) {
        List<String> names = branchNames(snapshot, r);
        return new Wire.BranchResponse(service().branch(snapshot, names).stream().map(Mapping::response).toList());
    }

    /** The new sandboxes' names: {@code names} as given, or {@code <name_prefix>-1…-<count>} (decision 1252). */
    static List<String> branchNames(String snapshot, Wire.BranchRequest r) {
        if (r.names() != null) {
            if (r.count() != null) {
                throw ApiException.invalid("count", "give names or count, not both");
            }
            if (r.namePrefix() != null) {
                throw ApiException.invalid("name_prefix", "goes with count, not names");
            }
            if (r.names().isEmpty() || r.names().size() > MAX_BRANCH) {
                throw ApiException.invalid("names", "must hold 1 to " + MAX_BRANCH + " names, got " + r.names().size());
            }
            Set<String> seen = new HashSet<>();
            for (String n : r.names()) {
                if (n == null) {
                    throw ApiException.invalid("names", "must hold strings, not null");
                }
                if (!seen.add(n)) {
                    throw ApiException.invalid("names", "holds " + n + " twice");
                }
            }
            return r.names();
        }
        if (r.count() == null) {
            throw ApiException.invalid("names", "is required (or count)");
        }
        if (r.count() < 1 || r.count() > MAX_BRANCH) {
            throw ApiException.invalid("count", "must be in [1, " + MAX_BRANCH + "], got " + r.count());
        }
        String prefix = r.namePrefix() == null ? snapshot : r.namePrefix();
        if (prefix.isEmpty()) {
            throw ApiException.invalid("name_prefix", "must not be empty");
        }
        return IntStream.rangeClosed(1, r.count()).mapToObj(i -> prefix + "-" + i).toList();
    }

    private SnapshotService service() {
        SnapshotService service = snapshots.get();
        if (service == null) {
            throw new ApiException(501, "not_supported", "no SnapshotService (io.msb.runtime) is running", null);
        }
        return service;
    }

    static Wire.SnapshotResponse response(SnapshotInfo s) {
        return new Wire.SnapshotResponse(s.name(), s.digest(), s.sizeBytes(), s.labels(), s.createdAt().toString(),
                s.sourceSandbox(), s.imageRef(), s.imageManifestDigest(), s.upperDigest(), s.path().toString(),
                s.resumable());
    }
}
