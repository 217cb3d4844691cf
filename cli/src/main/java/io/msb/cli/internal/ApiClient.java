package io.msb.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The server's HTTP API (decision 0011), as the CLI needs it: JSON in, JSON or an NDJSON stream out.
 * One blocking request at a time over {@link HttpURLConnection} (decision 1023: it starts ~0.5 s
 * faster than {@code java.net.http.HttpClient} for a one-shot command).
 */
public final class ApiClient {
    /** Bounds what the CLI buffers of a JSON answer; a sandbox list page is far smaller. */
    static final int MAX_JSON_BYTES = 32 << 20;
    /** An error body carries a message, not a document. */
    static final int MAX_ERROR_BYTES = 64 << 10;
    static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    /** The server answers an upgrade after reading the relay's handshake; a sandbox's boot can hold that a while. */
    static final Duration UPGRADE_TIMEOUT = Duration.ofMinutes(2);

    private final Config config;
    /** Asked for only to write a body that is not a plain tree (decision 1964); answers are read without it. */
    private final Supplier<ObjectMapper> json;

    public ApiClient(Config config, ObjectMapper json) {
        this(config, () -> json);
    }

    ApiClient(Config config, Supplier<ObjectMapper> json) {
        this.config = config;
        this.json = json;
    }

    /** The server's URL, as configured. */
    public String baseUrl() {
        return String.valueOf(config.apiUrl());
    }

    public JsonNode get(String path) {
        return json(send("GET", path, null, "application/json"));
    }

    public JsonNode post(String path, Object body) {
        return json(send("POST", path, jsonBody(body), "application/json"));
    }

    public JsonNode delete(String path) {
        return json(send("DELETE", path, null, "application/json"));
    }

    /** POSTs and returns the body of a 2xx answer as a stream (the exec and pull NDJSON); the caller closes it. */
    public InputStream stream(String path, Object body) {
        return send("POST", path, jsonBody(body), "application/x-ndjson");
    }

    /** GETs a Server-Sent Events stream (the logs); the caller closes it. */
    public InputStream events(String path) {
        return send("GET", path, null, "text/event-stream");
    }

    /**
     * POSTs a tar read from {@code tar} to its end (an image archive); JSON comes back. With its {@code length} known
     * (a file; -1: not known, sent chunked) the request says so and waits for the server's 100 Continue, so a server
     * that will not take that much answers (413) before the bytes go.
     */
    public JsonNode upload(String path, InputStream tar, long length) {
        return json(send("POST", path, new Body("application/x-tar", length, tar::transferTo), "application/json"));
    }

    /** GETs a text body (a PEM certificate) whole. */
    public String text(String path, String accept) {
        try (InputStream in = send("GET", path, null, accept)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("reading " + path + " from the msb server at " + config.apiUrl() + " failed: "
                + e.getMessage());
        }
    }

    /** GETs a tar (a saved image archive) as a stream; the caller closes it. */
    public InputStream download(String path) {
        return send("GET", path, null, "application/x-tar");
    }

    /**
     * GETs a tar into {@code output}, written aside and renamed: a failed or interrupted download leaves no partial
     * tar under the name.
     */
    public void downloadTo(String path, java.nio.file.Path output) throws IOException {
        java.nio.file.Path target = output.toAbsolutePath();
        java.nio.file.Path partial = java.nio.file.Files.createTempFile(target.getParent(), "." + target.getFileName(),
            ".partial");
        try {
            try (InputStream tar = download(path); OutputStream out = java.nio.file.Files.newOutputStream(partial)) {
                tar.transferTo(out);
            }
            java.nio.file.Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            java.nio.file.Files.deleteIfExists(partial);
        }
    }

    /** A request body: its type, its length (-1: unknown, sent chunked) and what writes it. */
    private record Body(String contentType, long length, Writer writer) {
    }

    private interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private Body jsonBody(Object body) {
        try {
            byte[] tree = body instanceof JsonNode node ? JsonTree.write(node) : null;
            byte[] bytes = tree != null ? tree : json.get().writeValueAsBytes(body);
            return new Body("application/json", bytes.length, out -> out.write(bytes));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the request as JSON", e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // into memory: cannot happen
        }
    }

    /** A path segment, percent-encoded: names are the server's to validate, not to reinterpret. */
    public static String segment(String value) {
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    private InputStream send(String method, String path, Body body, String accept) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(config.apiUrl() + path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            c.setReadTimeout(0); // a create pulls and boots, an exec runs as long as its command
            c.setUseCaches(false);
            c.setRequestProperty("Accept", accept);
            if (config.apiKey() != null) {
                c.setRequestProperty("Authorization", "Bearer " + config.apiKey());
            }
            if (body != null) {
                c.setDoOutput(true);
                if (body.length() >= 0) {
                    c.setFixedLengthStreamingMode(body.length());
                    if (!body.contentType().equals("application/json")) {
                        c.setRequestProperty("Expect", "100-continue"); // an archive: may be refused for its size
                    }
                } else {
                    c.setChunkedStreamingMode(64 << 10);
                }
                c.setRequestProperty("Content-Type", body.contentType());
                try (OutputStream out = c.getOutputStream()) {
                    body.writer().writeTo(out);
                } catch (IOException sendFailed) {
                    // refused after its Expect: 100-continue (413), the server's answer says why
                    int status = answered(c);
                    if (status / 100 == 2 || status < 0) {
                        throw new CliException("the msb server at " + config.apiUrl() + " stopped taking the request "
                            + "body (" + sendFailed.getMessage() + "); an archive may be larger than it accepts "
                            + "(maxImageArchiveMib)");
                    }
                    ApiErrorResponse refused = error(status, c.getErrorStream());
                    throw status != 413 || !refused.code.equals("http_413") ? refused : new ApiErrorResponse(413,
                        "invalid_request", "the msb server refused the request body as too large (HTTP 413; an "
                        + "image archive's limit is maxImageArchiveMib of io.msb.http)");
                }
            }
            int status = c.getResponseCode();
            if (status / 100 != 2) {
                throw error(status, c.getErrorStream());
            }
            return c.getInputStream();
        } catch (ConnectException | NoRouteToHostException | UnknownHostException | SocketTimeoutException e) {
            throw unreachable(e);
        } catch (IOException e) {
            throw new CliException("talking to the msb server at " + config.apiUrl() + " failed: " + e);
        }
    }

    /**
     * Opens {@code path} as a WebSocket (the agent channel, decision 1030) with the same URL and key as every other
     * request. Only this path loads {@code java.net.http}: its start-up cost (decision 1023) is paid by -i/-t alone.
     */
    WebSocket webSocket(String path, WebSocket.Listener listener) {
        String base = config.apiUrl().toString().replaceFirst("^http", "ws");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MILLIS)).build();
        WebSocket.Builder builder = http.newWebSocketBuilder();
        if (config.apiKey() != null) {
            builder.header("Authorization", "Bearer " + config.apiKey());
        }
        try {
            return builder.buildAsync(URI.create(base + path), listener).get(UPGRADE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new CliException("the msb server at " + config.apiUrl() + " did not answer the WebSocket upgrade of "
                + path + " within " + UPGRADE_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while connecting to the msb server");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof WebSocketHandshakeException refused) {
                HttpResponse<?> answer = refused.getResponse();
                Object body = answer.body();
                byte[] bytes = body instanceof byte[] b ? b : String.valueOf(body == null ? "" : body)
                    .getBytes(StandardCharsets.UTF_8);
                throw error(answer.statusCode(), new ByteArrayInputStream(bytes));
            }
            if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException) {
                throw unreachable(cause);
            }
            throw new CliException("talking to the msb server at " + config.apiUrl() + " failed: " + cause);
        }
    }

    private CliException unreachable(Throwable e) {
        return new CliException("cannot reach the msb server at " + config.apiUrl() + " (" + e.getMessage()
            + "): start it with " + config.startHint() + ", or point MSB_API_URL at it (default "
            + Config.DEFAULT_URL + ")");
    }

    private static int answered(HttpURLConnection c) {
        try {
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private ApiErrorResponse error(int status, InputStream body) {
        String code = "http_" + status;
        String message = "the server answered HTTP " + status;
        if (body != null) {
            try (body) {
                JsonNode error = JsonTree.read(body.readNBytes(MAX_ERROR_BYTES)).path("error");
                if (error.path("code").isTextual()) {
                    code = error.get("code").asText();
                }
                if (error.path("message").isTextual() && !error.get("message").asText().isBlank()) {
                    message = Text.printable(error.get("message").asText());
                }
            } catch (IOException | RuntimeException e) {
                // Not the contract's error body (a proxy's page, a truncated answer): the status says enough.
            }
        }
        if (status == 401) {
            message += config.apiKey() == null
                ? " (no API key: set MSB_API_KEY or write the server's key to " + config.keySource() + ")"
                : " (the key from " + config.keySource() + " was refused)";
        }
        return new ApiErrorResponse(status, code, message);
    }

    private JsonNode json(InputStream in) {
        try (in) {
            byte[] bytes = in.readNBytes(MAX_JSON_BYTES + 1);
            if (bytes.length > MAX_JSON_BYTES) {
                throw new CliException("the server's answer is larger than " + (MAX_JSON_BYTES >> 20) + " MiB");
            }
            return bytes.length == 0 ? NullNode.getInstance() : JsonTree.read(bytes);
        } catch (JsonProcessingException e) {
            // one line: Jackson's full message adds the source's position on a second one
            throw new CliException("the server's answer is not JSON: " + Text.printable(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new CliException("lost the connection to the msb server: " + Text.printable(String.valueOf(e.getMessage())));
        }
    }
}
