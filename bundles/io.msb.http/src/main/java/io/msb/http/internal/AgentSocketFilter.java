package io.msb.http.internal;

import io.msb.api.MsbHome;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxStatus;
import io.msb.api.SandboxService;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServerContainer;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.annotations.RequireHttpWhiteboard;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardFilterPattern;

/**
 * {@code GET /v1/sandboxes/{id}/agent}, the cloud API's agent WebSocket (decision 1016): after the same bearer key
 * check and id lookup as the other routes, the request is upgraded (Jetty's WebSocket server, which Felix HTTP
 * Jetty 12's {@code with-jetty-websockets} bundle carries) into an {@link AgentPipe} to the sandbox's relay socket,
 * {@code <msb.home>/sandboxes/<name>/agent.sock}. A filter in front of {@code ApiServlet}: the whiteboard has no
 * pattern for a route with the id in its middle, and every other request passes through untouched.
 */
@Component(service = Filter.class, configurationPid = HttpApiConfig.PID)
@HttpWhiteboardFilterPattern("/v1/sandboxes/*")
@HttpWhiteboardFilterName("msb-agent-websocket")
@RequireHttpWhiteboard
public final class AgentSocketFilter implements Filter {
    /** The property under which the runtime publishes the home it uses (decision 0005). */
    static final String HOME_PROPERTY = "msb.home";
    private static final long HANDSHAKE_MILLIS = 10_000;
    /** Text messages are ignored; this bounds what Jetty collects before dropping one. */
    private static final long MAX_TEXT_BYTES = 64 * 1024;

    private final SandboxService sandboxes;
    private final ServiceReference<SandboxService> runtime;
    private final ApiKeys keys;
    private final Path configuredHome;
    private final AgentPipes pipes;

    @Activate
    public AgentSocketFilter(@Reference(name = "sandboxes") ComponentServiceObjects<SandboxService> sandboxes,
            HttpApiConfig config) {
        this.sandboxes = sandboxes.getService();
        this.runtime = sandboxes.getServiceReference();
        this.configuredHome = MsbHome.resolve(config.home());
        this.keys = ApiKeys.of(config.apiKeys(), configuredHome);
        this.pipes = new AgentPipes(new AgentPipes.Limits(config.agentSocketsPerSandbox(),
                config.agentSocketMaxMessageBytes(), MAX_TEXT_BYTES,
                Duration.ofSeconds(config.agentSocketIdleTimeoutSecs()), HANDSHAKE_MILLIS));
    }

    @Deactivate
    void deactivate() {
        pipes.close();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse resp = (HttpServletResponse) response;
        String id = agentRoute(req);
        if (id == null) {
            chain.doFilter(request, response);
            return;
        }
        try {
            if (!keys.accepts(req.getHeader("Authorization"))) {
                throw new ApiException(401, "invalid_api_key", "missing or invalid API key (Authorization: Bearer <key>)",
                        null);
            }
            if (!isWebSocketUpgrade(req)) {
                throw new ApiException(400, "invalid_request", req.getRequestURI() + " is a WebSocket: send an "
                        + "HTTP/1.1 WebSocket upgrade (Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key, "
                        + "Sec-WebSocket-Version: 13)", null);
            }
            JettyWebSocketServerContainer container = JettyWebSocketServerContainer.getContainer(req.getServletContext());
            if (container == null) {
                throw new ApiException(501, "not_supported", "WebSocket support is off in the HTTP server (Felix HTTP "
                        + "needs org.apache.felix.jetty.websocket.enable=true and its with-jetty-websockets bundle)",
                        null);
            }
            // the relay connection is made under the sandbox's lock: it is this id's relay, not a successor's
            upgrade(req, resp, container, sandboxes.withSandbox(ApiServlet.uuid(id), this::openPipe));
        } catch (ApiException e) {
            ApiServlet.fail(resp, e);
        } catch (RuntimeException e) {
            ApiServlet.fail(resp, ApiServlet.translate(e));
        }
    }

    /** A pipe to the relay of the running sandbox {@code name}, its handshake read. */
    private AgentPipe openPipe(String name) {
        SandboxInfo info = sandboxes.get(name).orElseThrow(() -> new ApiException(404, "sandbox_not_found",
                "sandbox not found: " + name, null));
        if (!info.status().expectsLiveVm() || info.status() == SandboxStatus.PAUSED) {
            throw new ApiException(409, "invalid_state_transition", "cannot connect to the agent of sandbox " + name
                    + ": it is " + Mapping.status(info.status()), null);
        }
        return pipes.open(name, relaySocket(name));
    }

    private static void upgrade(HttpServletRequest req, HttpServletResponse resp,
            JettyWebSocketServerContainer container, AgentPipe pipe) throws IOException {
        boolean upgraded = false;
        try {
            upgraded = container.upgrade((upgradeRequest, upgradeResponse) -> pipe, req, resp);
        } finally {
            if (!upgraded) {
                pipe.abandon();
            }
        }
        if (!upgraded) {
            throw new ApiException(400, "invalid_request", "not a valid WebSocket upgrade request", null);
        }
    }

    /**
     * The checks Jetty's handshake makes before it will upgrade: Jetty's {@code upgrade} returns false for a request
     * failing them but still waits for its callback, so such a request must never reach it.
     */
    static boolean isWebSocketUpgrade(HttpServletRequest req) {
        if (!"HTTP/1.1".equals(req.getProtocol()) || !"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))
                || !"13".equals(req.getHeader("Sec-WebSocket-Version"))) {
            return false;
        }
        String key = req.getHeader("Sec-WebSocket-Key");
        if (key == null || key.isBlank()) {
            return false;
        }
        for (var values = req.getHeaders("Connection"); values.hasMoreElements();) {
            for (String token : values.nextElement().split(",")) {
                if (token.strip().equalsIgnoreCase("upgrade")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The sandbox's relay socket, under the home the runtime says it uses (else the configured one). */
    private Path relaySocket(String name) {
        Object home = runtime.getProperty(HOME_PROPERTY);
        Path base = home != null ? Path.of(home.toString()) : configuredHome;
        return base.resolve("sandboxes").resolve(name).resolve("agent.sock");
    }

    /** The {@code {id}} of {@code GET /v1/sandboxes/{id}/agent}, or null for any other request. */
    static String agentRoute(HttpServletRequest req) {
        if (!req.getMethod().equals("GET")) {
            return null;
        }
        String path = (req.getServletPath() == null ? "" : req.getServletPath())
                + (req.getPathInfo() == null ? "" : req.getPathInfo());
        List<String> segments = List.of(path.split("/", -1));
        if (segments.size() != 5 || !segments.get(0).isEmpty() || !segments.get(1).equals("v1")
                || !segments.get(2).equals("sandboxes") || !segments.get(4).equals("agent")
                || segments.get(3).isEmpty() || segments.get(3).equals("by-name")) {
            return null;
        }
        return segments.get(3);
    }
}
