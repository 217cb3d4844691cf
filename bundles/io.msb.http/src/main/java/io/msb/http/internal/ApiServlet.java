package io.msb.http.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.BootFailedException;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.StillRunningException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.snapshot.SnapshotService;
import io.msb.api.image.ImageService;
import io.msb.api.image.RegistryUnreachableException;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkService;
import io.msb.api.volume.VolumeService;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.whiteboard.annotations.RequireHttpWhiteboard;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The {@code /v1} API of decision 0011 on the Jakarta Servlet whiteboard: the sandbox routes of the
 * microsandbox cloud API v1, msb's NDJSON exec and live network policy change beside them, and an
 * unauthenticated {@code /v1/version} and {@code /v1/openapi.json}. {@link Routes} lists the routes.
 */
@Component(service = Servlet.class, configurationPid = HttpApiConfig.PID)
@Designate(ocd = HttpApiConfig.class)
@HttpWhiteboardServletPattern("/v1/*")
@HttpWhiteboardServletName("msb-api-v1")
@RequireHttpWhiteboard
public final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ApiServlet.class.getName());
    /** The agent protocol generation the platform speaks. */
    static final int PROTOCOL = 7;
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    static final Duration KEEPALIVE = Duration.ofSeconds(5);
    /** A UUID in its canonical text form, the only form the API hands out. */
    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final transient SandboxService sandboxes;
    private final transient ApiKeys keys;
    private final transient RequestBodies bodies;
    private final long maxExecOutputBytes;
    private final int maxExecTimeoutSecs;
    private final String version;
    private final transient Departed departed = new Departed();
    private final transient LogEvents logs;
    private final transient ImageRoutes imageRoutes;
    private final transient VolumeRoutes volumeRoutes;
    private final transient SnapshotRoutes snapshotRoutes;
    private final transient OpenApiDocument openApi;

    /** Optional, as for the runtime: without it the image routes are 501. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient ImageService images;

    /** Optional too: without it the volume routes are 501. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient VolumeService volumes;

    /** Optional too: without it the snapshot routes are 501. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient SnapshotService snapshots;

    /** Optional too: it offers the TLS interception CA ({@code GET /v1/tls/ca.pem}, decision 1318). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient NetworkService networks;

    @Activate
    public ApiServlet(@Reference(name = "sandboxes") SandboxService sandboxes, HttpApiConfig config, BundleContext context) {
        this(sandboxes, config, context.getBundle().getVersion().toString());
    }

    ApiServlet(SandboxService sandboxes, HttpApiConfig config, String version) {
        this.sandboxes = sandboxes;
        this.keys = ApiKeys.of(config.apiKeys(), MsbHome.resolve(config.home()));
        this.bodies = new RequestBodies(config.maxBodyBytes(), config.maxUnfinishedBodiesPerClient());
        this.maxExecOutputBytes = (long) config.maxExecOutputMib() << 20;
        this.maxExecTimeoutSecs = config.maxExecTimeoutSecs();
        this.version = version;
        this.logs = new LogEvents(sandboxes, config.maxLogStreams(), KEEPALIVE);
        ArchiveFiles archives = new ArchiveFiles(MsbHome.resolve(config.home()).resolve("tmp"),
                (long) config.maxImageArchiveMib() << 20);
        this.imageRoutes = new ImageRoutes(() -> images, bodies, archives, KEEPALIVE);
        this.volumeRoutes = new VolumeRoutes(() -> volumes, bodies, (long) config.maxVolumeFileMib() << 20);
        this.snapshotRoutes = new SnapshotRoutes(() -> snapshots, sandboxes, bodies, archives);
        this.openApi = new OpenApiDocument(version);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // HEAD is GET without a body: Jetty sends the headers (Content-Length included) and drops the body
        String method = req.getMethod().equals("HEAD") ? "GET" : req.getMethod();
        List<String> path = segments(req.getPathInfo());
        try {
            if (path.equals(List.of("version")) && method.equals("GET")) {
                send(resp, 200, new Wire.Version(version, PROTOCOL));
                return;
            }
            if (path.equals(List.of("openapi.json")) && method.equals("GET")) { // public, as /v1/version (decision 1841)
                openApi.send(req, resp);
                return;
            }
            if (!keys.accepts(req.getHeader("Authorization"))) {
                throw new ApiException(401, "invalid_api_key", "missing or invalid API key (Authorization: Bearer <key>)", null);
            }
            route(req, resp, method, path);
        } catch (ApiException e) {
            refuse(req, resp, e);
        } catch (RuntimeException e) {
            refuse(req, resp, translate(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(resp, new ApiException(503, "internal_error", "the server is shutting down", null));
        }
    }

    private void refuse(HttpServletRequest req, HttpServletResponse resp, ApiException e) throws IOException {
        if (!bodies.discardUnread(req, e.status())) {
            // Jetty closes a connection whose body was left unread; said up front, a client does not send its next
            // request on it (java.net.http does, and then reads only the end of the stream)
            resp.setHeader("Connection", "close");
        }
        fail(resp, e);
    }

    private void route(HttpServletRequest req, HttpServletResponse resp, String method, List<String> path)
            throws IOException, InterruptedException {
        // the routing table decides what reaches a handler: a route it lacks is one openapi.json lacks (decision 1840)
        Set<String> methods = Routes.methods(path);
        if (methods.isEmpty()) {
            throw notRouted(method, req);
        }
        if (!methods.contains(method)) {
            throw notAllowed(req, Routes.allow(methods));
        }
        if (!path.isEmpty() && path.get(0).equals("images")) {
            imageRoutes.serve(req, resp, method, path.subList(1, path.size()));
            return;
        }
        if (path.equals(List.of("info"))) {
            if (!method.equals("GET")) {
                throw notAllowed(req, "GET, HEAD");
            }
            ImageService imageService = images;
            send(resp, 200, Observations.info(version, PROTOCOL, sandboxes.platform(),
                    imageService == null ? null : imageService.list().size()));
            return;
        }
        if (path.equals(List.of("tls", "ca.pem"))) {
            if (!method.equals("GET")) {
                throw notAllowed(req, "GET, HEAD");
            }
            sendCa(resp);
            return;
        }
        if (!path.isEmpty() && path.get(0).equals("snapshots")) {
            snapshotRoutes.serve(req, resp, method, path.subList(1, path.size()));
            return;
        }
        if (!path.isEmpty() && path.get(0).equals("volumes")) {
            volumeRoutes.serve(req, resp, method, path.subList(1, path.size()));
            return;
        }
        if (path.isEmpty() || !path.get(0).equals("sandboxes")) {
            throw notRouted(method, req);
        }
        if (path.size() == 1) {
            switch (method) {
                case "GET" -> send(resp, 200, list(req));
                case "POST" -> send(resp, 200, create(req));
                default -> throw notAllowed(req, "GET, HEAD, POST");
            }
            return;
        }
        boolean byName = path.get(1).equals("by-name");
        if (byName && path.size() < 3) {
            throw notRouted(method, req);
        }
        String key = path.get(byName ? 2 : 1);
        List<String> rest = path.subList(byName ? 3 : 2, path.size());
        Action action = action(req, method, rest);
        Reply reply;
        try {
            // by id: under the sandbox's lock, so a sandbox re-created under the same name is never the one acted on
            reply = byName ? action.on(key) : sandboxes.withSandbox(uuid(key), action::on);
        } catch (RuntimeException e) {
            reply = departedOr(e, method, rest, byName, key);
        }
        reply.send(resp);
    }

    /** What a request asks of one sandbox, its body already read; {@link Action#on} acts, the reply writes. */
    private interface Action {
        Reply on(String name);
    }

    private interface Reply {
        void send(HttpServletResponse resp) throws IOException, InterruptedException;
    }

    private Action action(HttpServletRequest req, String method, List<String> rest) {
        if (rest.equals(List.of("network", "policy"))) {
            if (!method.equals("PATCH")) {
                throw notAllowed(req, "PATCH");
            }
            NetworkPolicy policy = policy(req);
            return name -> json(updatePolicy(name, policy));
        }
        if (rest.equals(List.of("logs"))) {
            if (!method.equals("GET")) {
                throw notAllowed(req, "GET");
            }
            return name -> {
                info(name);
                return resp -> logs.serve(req, resp, name); // streams after the sandbox's lock is released
            };
        }
        String verb = rest.isEmpty() ? "" : rest.get(0);
        if (rest.size() > 1) {
            throw notRouted(method, req);
        }
        return switch (method + " " + verb) {
            case "GET " -> name -> json(Mapping.response(info(name)));
            case "DELETE " -> name -> {
                info(name);
                sandboxes.remove(name, true); // cloud semantics: a running sandbox is stopped first
                return json(removed(name));
            };
            case "POST start" -> {
                checkWait(req);
                yield name -> json(start(name));
            }
            case "POST stop" -> name -> json(halt(name, "stop", n -> sandboxes.stop(n, null)));
            case "POST kill" -> name -> json(halt(name, "kill", sandboxes::kill)); // msb's (decision 1029)
            case "GET metrics" -> name -> json(Observations.metrics(running(name, "read the metrics of"),
                    sandboxes.handle(name).metrics())); // msb's (decision 1033)
            case "GET processes" -> name -> { // msb's (decision 1034)
                running(name, "list the processes of");
                return json(new Wire.ProcessList(sandboxes.handle(name).processes().stream()
                        .map(Observations::process).toList()));
            };
            case "POST pause" -> name -> json(Mapping.response(sandboxes.pause(name))); // msb's (decision 1224)
            case "POST resume" -> name -> json(Mapping.response(sandboxes.resume(name)));
            case "POST exec" -> {
                ExecOptions options = Mapping.exec(body(req, Wire.ExecRequest.class), maxExecTimeoutSecs);
                yield name -> exec(name, options);
            }
            default -> throw verb.isEmpty() ? notAllowed(req, "GET, HEAD, DELETE")
                    : List.of("start", "stop", "kill", "pause", "resume", "exec").contains(verb) ? notAllowed(req, "POST")
                    : List.of("metrics", "processes").contains(verb) ? notAllowed(req, "GET, HEAD")
                    : notRouted(method, req);
        };
    }

    private static Reply json(Object body) {
        return resp -> send(resp, 200, body);
    }

    private static Wire.Message removed(String name) {
        return new Wire.Message("sandbox " + name + " removed");
    }

    /**
     * A GET or DELETE of an ephemeral sandbox that a stop just removed answers as if it were still there, stopped
     * (decision 1025): the SDK's stop polls for that status. Anything else rethrows {@code e}.
     */
    private Reply departedOr(RuntimeException e, String method, List<String> rest, boolean byName, String key) {
        boolean notFound = e instanceof NotFoundException || e instanceof ApiException a && a.status() == 404;
        if (notFound && rest.isEmpty() && (method.equals("GET") || method.equals("DELETE"))) {
            var last = byName ? departed.byName(key) : departed.byId(key);
            if (last.isPresent()) {
                if (method.equals("GET")) {
                    return json(last.get());
                }
                departed.forget(last.get().name());
                return json(removed(last.get().name()));
            }
        }
        throw e;
    }

    private Wire.Page list(HttpServletRequest req) {
        int limit = DEFAULT_PAGE;
        String limitText = query(req, "limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw ApiException.invalid("limit", "must be an integer 1.." + MAX_PAGE);
            }
        }
        String after = cursor(query(req, "cursor"));
        LabelSelector selector = new LabelSelector(Mapping.labelsQuery(query(req, "labels")));
        // one more than the page tells whether there is a next one; the store reads only these (a keyset query)
        List<SandboxInfo> page = sandboxes.list(selector, after, limit + 1);
        boolean more = page.size() > limit;
        List<SandboxInfo> shown = more ? page.subList(0, limit) : page;
        String next = more ? Base64.getUrlEncoder().withoutPadding().encodeToString(
                shown.get(limit - 1).name().getBytes(StandardCharsets.UTF_8)) : null;
        return new Wire.Page(shown.stream().map(Mapping::response).toList(), more, next);
    }

    private static String cursor(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("cursor", "must be a next_cursor from an earlier page");
        }
    }

    private Wire.SandboxResponse create(HttpServletRequest req) {
        String start = query(req, "start");
        if (start != null && !start.equals("true")) {
            throw ApiException.invalid("start", start.equals("false")
                    ? "false is not supported yet: create boots the sandbox" : "must be true or false");
        }
        checkWait(req);
        Wire.CreateRequest body = body(req, Wire.CreateRequest.class);
        // create returns once the sandbox runs, so every wait_for is already met
        Wire.SandboxResponse created = Mapping.response(sandboxes.create(Mapping.spec(body)).info());
        departed.forget(created.name());
        return created;
    }

    /**
     * {@code wait_for=running} and {@code wait_timeout} (seconds) of create and start. Both boot before they answer,
     * so the wait is met by construction; the parameters are checked so that a mistyped one is not ignored.
     */
    static void checkWait(HttpServletRequest req) {
        String waitFor = query(req, "wait_for");
        if (waitFor != null && !waitFor.equals("running")) {
            throw ApiException.invalid("wait_for", "must be running");
        }
        String waitTimeout = query(req, "wait_timeout");
        if (waitTimeout != null) {
            if (waitFor == null) {
                throw ApiException.invalid("wait_timeout", "is valid only with wait_for");
            }
            if (!waitTimeout.matches("[0-9]{1,9}")) {
                throw ApiException.invalid("wait_timeout", "must be a number of seconds");
            }
        }
    }

    private Wire.SandboxResponse start(String name) {
        SandboxInfo info = info(name);
        if (info.status().expectsLiveVm()) {
            throw invalidState(name, info, "start");
        }
        return Mapping.response(sandboxes.start(name).info());
    }

    /** stop (the guest shuts down) and kill (the VM ends at once): {@code how} ends a sandbox that runs. */
    private Wire.SandboxResponse halt(String name, String verb, Consumer<String> how) {
        SandboxInfo info = info(name);
        if (!info.status().expectsLiveVm()) {
            throw invalidState(name, info, verb);
        }
        how.accept(name);
        // an ephemeral sandbox is gone once stopped: report the last state it had, and keep reporting it a while
        return sandboxes.get(name).map(Mapping::response)
                .orElseGet(() -> departed.add(Mapping.response(info).stopped(Instant.now())));
    }

    /**
     * msb's live policy change (the cloud API has none): the body is a {@code NetworkPolicy} in microsandbox's
     * JSON form; a running sandbox's new connections follow it at once.
     */
    @SuppressWarnings("unchecked")
    private NetworkPolicy policy(HttpServletRequest req) {
        Map<String, Object> body = body(req, Map.class);
        return Mapping.fromModel(() -> NetworkPolicy.fromMap(body));
    }

    private Wire.SandboxResponse updatePolicy(String name, NetworkPolicy policy) {
        info(name);
        return Mapping.response(sandboxes.updateNetworkPolicy(name, policy));
    }

    /** Starts the command; the reply streams it (outside the sandbox's lock: it may run for hours). */
    /** The sandbox, which must have a live VM for {@code verb} (409 otherwise). */
    private SandboxInfo running(String name, String verb) {
        SandboxInfo info = info(name);
        if (!info.status().expectsLiveVm()) {
            throw invalidState(name, info, verb);
        }
        return info;
    }

    private Reply exec(String name, ExecOptions options) {
        running(name, "exec in");
        NdjsonExec stream = new NdjsonExec(maxExecOutputBytes, KEEPALIVE);
        ExecSession session = sandboxes.handle(name).execStream(options, stream);
        if (options.stdin() == null) {
            session.closeStdin(); // nothing more will come: a command reading stdin sees its end
        }
        return resp -> {
            resp.setStatus(200);
            resp.setContentType("application/x-ndjson");
            resp.setHeader("Cache-Control", "no-store");
            if (!stream.pump(session, resp.getOutputStream())) {
                LOG.log(Level.INFO, "exec client of sandbox {0} went away: the command was killed", name);
            }
        };
    }

    /**
     * A query parameter, read from the query string only: {@code getParameter} would also parse (and so
     * consume) a form-encoded body, which is what {@code curl -d} announces for a JSON body.
     */
    static String query(HttpServletRequest req, String name) {
        String qs = req.getQueryString();
        if (qs == null) {
            return null;
        }
        try {
            for (String pair : qs.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                if (key.equals(name)) {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("query string", "malformed percent-encoding");
        }
    }

    private SandboxInfo info(String name) {
        return sandboxes.get(name).orElseThrow(() -> notFound(name));
    }

    /**
     * The id in a path; one that is not a UUID in its canonical form (the only form the API hands out) names no
     * sandbox (404). The agent WebSocket reads its {@code {id}} here too.
     */
    static UUID uuid(String id) {
        if (!UUID_TEXT.matcher(id).matches()) {
            throw notFound(id);
        }
        return UUID.fromString(id);
    }

    private <T> T body(HttpServletRequest req, Class<T> type) {
        return bodies.read(req, type);
    }

    /** The platform's exceptions as decision 0011's error codes. */
    static ApiException translate(RuntimeException e) {
        if (e instanceof InvalidConfigException ice) {
            Map<String, Object> details = ice.field() == null ? null : Map.of("field", ice.field());
            return new ApiException(400, "invalid_request", e.getMessage(), details);
        }
        if (e instanceof ImageNotFoundException) {
            return new ApiException(404, "image_not_found", e.getMessage(), null);
        }
        if (e instanceof RegistryUnreachableException r) {
            return new ApiException(502, "registry_unreachable", e.getMessage(), Map.of("registry", r.registry()));
        }
        if (e instanceof NotFoundException) {
            return new ApiException(404, "sandbox_not_found", e.getMessage(), null);
        }
        if (e instanceof AlreadyExistsException) {
            return new ApiException(409, "name_already_exists", e.getMessage(), null);
        }
        if (e instanceof StillRunningException || e instanceof InvalidStateException) {
            return new ApiException(409, "invalid_state_transition", e.getMessage(), null);
        }
        if (e instanceof BootFailedException b) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("stage", b.stage().name().toLowerCase(Locale.ROOT));
            details.put("kernel_log", b.kernelLogTail());
            return new ApiException(502, "boot_failed", e.getMessage(), details);
        }
        if (e instanceof UnsupportedFeatureException) {
            return new ApiException(501, "not_supported", e.getMessage(), null);
        }
        if (e instanceof MsbException) {
            LOG.log(Level.WARNING, "request failed", e);
            return new ApiException(500, "internal_error", e.getMessage(), null);
        }
        LOG.log(Level.ERROR, "request failed unexpectedly", e);
        return new ApiException(500, "internal_error", "internal error: " + e.getClass().getSimpleName(), null);
    }

    private static ApiException notFound(String name) {
        return new ApiException(404, "sandbox_not_found", "sandbox not found: " + name, null);
    }

    private static ApiException invalidState(String name, SandboxInfo info, String verb) {
        return new ApiException(409, "invalid_state_transition", "cannot " + verb + " sandbox " + name + ": it is "
                + Mapping.status(info.status()), null);
    }

    private static ApiException notRouted(String method, HttpServletRequest req) {
        return new ApiException(404, "not_found", "no such route: " + req.getMethod() + " " + req.getRequestURI(), null);
    }

    /** 405 with the SDK's code for a request it sent wrongly; {@code details.allow} becomes the Allow header. */
    static ApiException notAllowed(HttpServletRequest req, String allow) {
        return new ApiException(405, "invalid_request", req.getMethod() + " is not allowed on " + req.getRequestURI()
                + " (allowed: " + allow + ")", Map.of("allow", allow));
    }

    private static List<String> segments(String pathInfo) {
        if (pathInfo == null) {
            return List.of();
        }
        return Arrays.stream(pathInfo.split("/", -1)).skip(1).toList();
    }

    static void fail(HttpServletResponse resp, ApiException e) throws IOException {
        if (resp.isCommitted()) {
            LOG.log(Level.WARNING, "error after the response began: {0}", e.getMessage());
            return;
        }
        if (e.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Bearer");
        }
        if (e.status() == 405 && e.details() != null && e.details().get("allow") instanceof String allow) {
            resp.setHeader("Allow", allow);
        }
        send(resp, e.status(), new Wire.ErrorResponse(new Wire.ErrorBody(e.code(), e.getMessage(), e.details())));
    }

    /** msb's {@code GET /v1/tls/ca.pem}: the certificate guests with TLS interception trust, for users to download. */
    private void sendCa(HttpServletResponse resp) throws IOException {
        NetworkService network = networks;
        if (network == null) {
            throw new ApiException(501, "not_supported", "no network service (io.msb.network) is running, so TLS is"
                    + " not intercepted and there is no interception CA", null);
        }
        String pem = network.interceptCaPem().orElseThrow(() -> new ApiException(501, "not_supported",
                "the network service does not intercept TLS: there is no interception CA", null));
        byte[] bytes = pem.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setContentType("application/x-pem-file");
        resp.setHeader("Content-Disposition", "attachment; filename=\"msb-intercept-ca.pem\"");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** For tests: the network service this servlet would have bound. */
    void networkService(NetworkService service) {
        this.networks = service;
    }

    static void send(HttpServletResponse resp, int status, Object body) throws IOException {
        byte[] bytes = Json.write(body);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }
}
