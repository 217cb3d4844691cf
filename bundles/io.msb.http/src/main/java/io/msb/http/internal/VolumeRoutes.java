package io.msb.http.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import io.msb.api.volume.VolumeInUseException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The cloud API's volume routes (facts §2.6-2.7, decision 1214): {@code /v1/volumes} (a bare array; create),
 * {@code /v1/volumes/{id}} (get, delete, patch), {@code /v1/volumes/default} (404: msb has no default volume) and
 * the file routes under {@code /v1/volumes/{id}/files}, whose path travels in {@code x-msb-file-path} as unpadded
 * base64url; and msb's {@code POST /v1/volumes/prune}. File contents stream both ways; a PUT is bounded by {@code maxBytes} and by the volume's quota.
 */
final class VolumeRoutes {
    static final String PATH_HEADER = "x-msb-file-path";
    static final String RECURSIVE_HEADER = "x-msb-file-recursive";
    private static final Set<String> PATH_FIELDS = Set.of("path", "from", "to", "link");
    private static final long MIB = 1L << 20;

    private final Supplier<VolumeService> volumes;
    private final RequestBodies bodies;
    private final long maxFileBytes;

    VolumeRoutes(Supplier<VolumeService> volumes, RequestBodies bodies, long maxFileBytes) {
        this.volumes = volumes;
        this.bodies = bodies;
        this.maxFileBytes = maxFileBytes;
    }

    /** Serves {@code /v1/volumes/<rest>}. */
    void serve(HttpServletRequest req, HttpServletResponse resp, String method, List<String> rest) throws IOException {
        if (rest.isEmpty()) {
            switch (method) {
                case "GET" -> ApiServlet.send(resp, 200, service().list().stream().map(VolumeRoutes::response).toList());
                case "POST" -> ApiServlet.send(resp, 200, response(create(bodies.read(req,
                        Wire.VolumeCreateRequest.class))));
                default -> throw ApiServlet.notAllowed(req, "GET, HEAD, POST");
            }
            return;
        }
        if (rest.equals(List.of("default"))) {
            if (!method.equals("GET")) {
                throw ApiServlet.notAllowed(req, "GET, HEAD");
            }
            service();
            throw new ApiException(404, "volume_not_found", "volume not found: default (msb has no default volume; "
                    + "volumes are named: create one with POST /v1/volumes)", null);
        }
        if (rest.equals(List.of("prune"))) { // msb's: ids are UUIDs, so no volume is addressed so
            if (!method.equals("POST")) {
                throw ApiServlet.notAllowed(req, "POST");
            }
            ApiServlet.send(resp, 200, new Wire.VolumesPruned(service().prune()));
            return;
        }
        VolumeInfo volume = find(rest.get(0));
        List<String> sub = rest.subList(1, rest.size());
        if (sub.isEmpty()) {
            switch (method) {
                case "GET" -> ApiServlet.send(resp, 200, response(volume));
                case "PATCH" -> ApiServlet.send(resp, 200, response(update(volume,
                        bodies.read(req, Wire.VolumeUpdateRequest.class))));
                case "DELETE" -> {
                    remove(volume);
                    ApiServlet.send(resp, 200, new Wire.Message("volume " + volume.name() + " removed"));
                }
                default -> throw ApiServlet.notAllowed(req, "GET, HEAD, PATCH, DELETE");
            }
            return;
        }
        if (!sub.get(0).equals("files") || sub.size() > 2) {
            throw new ApiException(404, "not_found", "no such route: " + req.getMethod() + " " + req.getRequestURI(),
                    null);
        }
        files(req, resp, method, volume, sub.size() == 1 ? "" : sub.get(1));
    }

    private VolumeService service() {
        VolumeService service = volumes.get();
        if (service == null) {
            throw new ApiException(501, "not_supported", "no VolumeService (io.msb.volume) is running", null);
        }
        return service;
    }

    private VolumeInfo find(String id) {
        VolumeService service = service();
        UUID uuid;
        try {
            uuid = ApiServlet.uuid(id);
        } catch (ApiException e) {
            throw notFound(id);
        }
        return service.getById(uuid).orElseThrow(() -> notFound(id));
    }

    private static ApiException notFound(String id) {
        return new ApiException(404, "volume_not_found", "volume not found: " + id, null);
    }

    /**
     * The create body: the cloud's {@code name, labels, capacity_gib, storage} plus msb's {@code type} (dir, the
     * default, or disk), {@code quota_mib} and {@code capacity_mib}. {@code capacity_gib} is a directory's quota, as
     * the SDK sends {@code quota()}, or a disk's capacity.
     */
    static VolumeSpec spec(Wire.VolumeCreateRequest body) {
        if (body.name() == null) {
            throw ApiException.invalid("name", "required (msb has no unnamed volumes)");
        }
        if (body.storage() != null && !body.storage().equals("block")) {
            throw ApiException.invalid("storage", "must be block");
        }
        VolumeKind kind = body.type() == null || body.type().equals("dir") ? VolumeKind.DIRECTORY
                : body.type().equals("disk") ? VolumeKind.DISK : null;
        if (kind == null) {
            throw ApiException.invalid("type", "must be dir or disk");
        }
        Integer gib = mib("capacity_gib", body.capacityGib(), 1024);
        Integer quota = mib("quota_mib", body.quotaMib(), 1);
        Integer capacity = mib("capacity_mib", body.capacityMib(), 1);
        if (gib != null) {
            if (kind == VolumeKind.DIRECTORY ? quota != null : capacity != null) {
                throw ApiException.invalid("capacity_gib", "give capacity_gib or "
                        + (kind == VolumeKind.DIRECTORY ? "quota_mib" : "capacity_mib") + ", not both");
            }
            if (kind == VolumeKind.DIRECTORY) {
                quota = gib;
            } else {
                capacity = gib;
            }
        }
        return new VolumeSpec(body.name(), kind, quota, capacity, body.labels());
    }

    /**
     * 409 {@code volume_already_exists} for a taken name: the SDK maps {@code name_already_exists} to
     * SandboxAlreadyExists whatever the route, and an unmapped code on a 409 of this route to VolumeAlreadyExists.
     */
    private VolumeInfo create(Wire.VolumeCreateRequest body) {
        VolumeSpec spec = spec(body);
        try {
            return service().create(spec);
        } catch (AlreadyExistsException e) {
            throw new ApiException(409, "volume_already_exists", e.getMessage(), null);
        }
    }

    /** A size in MiB from {@code value} units of {@code unitMib}, null when absent. */
    private static Integer mib(String field, Long value, long unitMib) {
        if (value == null) {
            return null;
        }
        if (value < 1 || value > Integer.MAX_VALUE / unitMib) {
            throw ApiException.invalid(field, "must be in [1, " + Integer.MAX_VALUE / unitMib + "], got " + value);
        }
        return (int) (value * unitMib);
    }

    private VolumeInfo update(VolumeInfo volume, Wire.VolumeUpdateRequest body) {
        Integer quota = mib("capacity_gib", body.capacityGib(), 1024);
        Integer quotaMib = mib("quota_mib", body.quotaMib(), 1);
        if (quota != null && quotaMib != null) {
            throw ApiException.invalid("capacity_gib", "give capacity_gib or quota_mib, not both");
        }
        return service().update(volume.name(), quota != null ? quota : quotaMib, body.labels());
    }

    private void remove(VolumeInfo volume) {
        try {
            service().remove(volume.name());
        } catch (VolumeInUseException e) {
            throw new ApiException(409, "volume_in_use", e.getMessage(), Map.of("sandboxes", e.sandboxes()));
        } catch (NotFoundException e) {
            throw notFound(volume.id().toString()); // removed meanwhile
        }
    }

    /** The file routes; {@code verb} is what follows {@code files/} (empty for {@code files} itself). */
    private void files(HttpServletRequest req, HttpServletResponse resp, String method, VolumeInfo volume, String verb)
            throws IOException {
        SandboxFs fs = service().files(volume.name());
        try {
            switch (method + " " + verb) {
                case "GET " -> ApiServlet.send(resp, 200, new Wire.FileList(fs.list(path(req, "/")).stream()
                        .map(VolumeRoutes::fileInfo).toList()));
                case "GET stat" -> ApiServlet.send(resp, 200, new Wire.FileMetadata(fileInfo(fs.stat(path(req, null)))));
                case "GET exists" -> ApiServlet.send(resp, 200, new Wire.FileExists(exists(fs, path(req, null))));
                case "GET content" -> read(resp, fs, path(req, null));
                case "PUT content" -> write(req, resp, fs, path(req, null));
                case "DELETE " -> {
                    String path = path(req, null);
                    if (recursive(req)) {
                        fs.removeRecursive(path);
                    } else {
                        fs.remove(path);
                    }
                    ApiServlet.send(resp, 200, new Wire.Message("removed " + path));
                }
                case "POST mkdir" -> {
                    String path = absolute(bodies.read(req, Wire.FilePath.class).path(), "path");
                    fs.mkdirs(path, 0755);
                    ApiServlet.send(resp, 200, new Wire.Message("created " + path));
                }
                case "POST copy", "POST rename" -> {
                    Wire.FileMove move = bodies.read(req, Wire.FileMove.class);
                    String from = absolute(move.from(), "from");
                    String to = absolute(move.to(), "to");
                    if (verb.equals("copy")) {
                        fs.copy(from, to);
                    } else {
                        fs.rename(from, to);
                    }
                    ApiServlet.send(resp, 200, new Wire.Message(verb + " " + from + " to " + to));
                }
                default -> throw notAFileRoute(req, verb);
            }
        } catch (InvalidConfigException e) {
            throw fileError(e);
        } catch (NotFoundException e) {
            throw new ApiException(404, "volume_file_not_found", e.getMessage(), null);
        } catch (AlreadyExistsException e) {
            throw new ApiException(409, "volume_file_exists", e.getMessage(), null);
        }
    }

    private static ApiException notAFileRoute(HttpServletRequest req, String verb) {
        return switch (verb) {
            case "" -> ApiServlet.notAllowed(req, "GET, HEAD, DELETE");
            case "stat", "exists" -> ApiServlet.notAllowed(req, "GET, HEAD");
            case "content" -> ApiServlet.notAllowed(req, "GET, HEAD, PUT");
            case "mkdir", "copy", "rename" -> ApiServlet.notAllowed(req, "POST");
            default -> new ApiException(404, "not_found", "no such route: " + req.getMethod() + " "
                    + req.getRequestURI(), null);
        };
    }

    /** A path the volume refused is {@code invalid_volume_path}; a write over the quota is 507. */
    private static ApiException fileError(InvalidConfigException e) {
        if ("quotaMib".equals(e.field())) {
            return new ApiException(507, "volume_quota_exceeded", e.getMessage(), null);
        }
        Map<String, Object> details = e.field() == null ? null : Map.of("field", e.field());
        return new ApiException(400, PATH_FIELDS.contains(e.field()) ? "invalid_volume_path" : "invalid_request",
                e.getMessage(), details);
    }

    private static boolean exists(SandboxFs fs, String path) {
        try {
            fs.stat(path);
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** The {@code x-msb-file-path} header decoded; {@code fallback} when absent (null: required). */
    static String path(HttpServletRequest req, String fallback) {
        String header = req.getHeader(PATH_HEADER);
        if (header == null || header.isEmpty()) {
            if (fallback == null) {
                throw new ApiException(400, "invalid_volume_path", PATH_HEADER + ": required (the path as unpadded "
                        + "base64url)", null);
            }
            return fallback;
        }
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(header.strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_volume_path", PATH_HEADER + ": must be the path as unpadded "
                    + "base64url", null);
        }
        return absolute(decoded, PATH_HEADER);
    }

    /** A path as the SDK sends it; one without a leading {@code /} is taken from the volume's root. */
    private static String absolute(String path, String field) {
        if (path == null) {
            throw new ApiException(400, "invalid_volume_path", field + ": required", null);
        }
        return path.startsWith("/") ? path : "/" + path;
    }

    private static boolean recursive(HttpServletRequest req) {
        String value = req.getHeader(RECURSIVE_HEADER);
        if (value == null || value.equalsIgnoreCase("false")) {
            return false;
        }
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        throw ApiException.invalid(RECURSIVE_HEADER, "must be true or false");
    }

    private static void read(HttpServletResponse resp, SandboxFs fs, String path) throws IOException {
        FileStat stat = fs.stat(path);
        try (InputStream in = fs.read(path)) {
            resp.setStatus(200);
            resp.setContentType("application/octet-stream");
            if (stat.type() == FileType.FILE) {
                resp.setContentLengthLong(stat.size());
            }
            resp.setHeader("Cache-Control", "no-store");
            OutputStream out = resp.getOutputStream();
            in.transferTo(out);
        }
    }

    private void write(HttpServletRequest req, HttpServletResponse resp, SandboxFs fs, String path)
            throws IOException {
        long declared = req.getContentLengthLong();
        if (declared > maxFileBytes) {
            throw tooLarge();
        }
        bodies.receive(req, in -> {
            fs.write(path, new Bounded(in), 0644);
            return null;
        });
        ApiServlet.send(resp, 200, new Wire.Message("wrote " + path));
    }

    private ApiException tooLarge() {
        return new ApiException(413, "invalid_request", "request body: a volume file must be at most " + maxFileBytes
                + " bytes (maxVolumeFileMib of io.msb.http)", null);
    }

    /**
     * The body as the volume reads it: its failures are already the client's error (the volume would report an
     * IOException as its own), and more than {@code maxFileBytes} is 413.
     */
    private final class Bounded extends FilterInputStream {
        private long total;

        Bounded(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                throw e instanceof ApiException a ? a : RequestBodies.failure(e);
            }
            if (n > 0 && (total += n) > maxFileBytes) {
                throw tooLarge();
            }
            return n;
        }
    }

    /** A volume as the cloud API shows it, with msb's fields after the cloud's. */
    static Wire.VolumeResponse response(VolumeInfo v) {
        VolumeSpec s = v.spec();
        Integer limitMib = s.kind() == VolumeKind.DIRECTORY ? s.quotaMib() : s.capacityMib();
        return new Wire.VolumeResponse(v.id().toString(), v.name(), "managed", "block", "active", v.usedBytes(),
                limitMib == null ? null : limitMib * MIB, s.labels(), v.createdAt().toString(),
                v.updatedAt().toString(), s.kind().wireName(), s.quotaMib(), s.capacityMib(), v.path().toString(),
                v.usedBy());
    }

    /** {@code FileInfo}: {@code kind} is file or directory as the SDK knows them, symlink or other beside them. */
    static Wire.FileInfo fileInfo(FileStat s) {
        String kind = switch (s.type()) {
            case FILE -> "file";
            case DIRECTORY -> "directory";
            case SYMLINK -> "symlink";
            case OTHER -> "other";
        };
        return new Wire.FileInfo(s.path(), kind, s.size(), s.mode(), s.uid(), s.gid(), (s.mode() & 0222) == 0, null,
                s.modified() == null ? null : s.modified().toString(), null);
    }
}
