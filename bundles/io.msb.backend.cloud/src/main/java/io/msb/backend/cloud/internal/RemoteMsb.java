package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.MsbException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The remote msb server's {@code /v1} API as its servlet serves it: JSON calls with bounded answers, and streams
 * (NDJSON exec, Server-Sent Events logs) for the caller to read. The key goes in the Authorization header only;
 * it is never in a message, a log line or {@link #toString()}.
 */
final class RemoteMsb {
    static final ObjectMapper JSON = new ObjectMapper();
    private final String backend;
    private final URI base;
    private final String key;
    private final Duration requestTimeout;
    private final long maxResponseBytes;
    private final HttpClient http;

    RemoteMsb(String backend, URI base, String key, Duration connectTimeout, Duration requestTimeout,
            long maxResponseBytes) {
        this.backend = backend;
        this.base = base;
        this.key = key;
        this.requestTimeout = requestTimeout;
        this.maxResponseBytes = maxResponseBytes;
        // HTTP/1.1: the server is Jetty without TLS, and an h2c upgrade attempt would only cost a round trip
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    }

    /** The remote's base URL, for messages. */
    URI base() {
        return base;
    }

    /** The path of one sandbox's route: {@code /v1/sandboxes/by-name/<name>/<rest>}. */
    static String sandbox(String name, String rest) {
        String path = "/v1/sandboxes/by-name/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return rest.isEmpty() ? path : path + "/" + rest;
    }

    /**
     * A JSON call; {@code body} null sends none. Answers the parsed body of a 2xx.
     *
     * @param sandbox the sandbox the call is about (its 404 and 409 become NotFound and AlreadyExists), or null
     */
    JsonNode call(String method, String path, Object body, String sandbox) {
        HttpResponse<InputStream> response = send(method, path, body, Map.of(), requestTimeout);
        try (InputStream in = response.body()) {
            byte[] bytes = readBounded(in, method, path);
            JsonNode json = bytes.length == 0 ? null : parse(bytes, method, path, response.statusCode());
            if (response.statusCode() / 100 != 2) {
                throw RemoteErrors.of(response.statusCode(), json, where(method, path), sandbox);
            }
            if (json == null || !json.isObject()) {
                throw new MsbException(where(method, path) + ": the remote's answer is not a JSON object");
            }
            return json;
        } catch (IOException e) {
            throw unreachable(method, path, e, true);
        }
    }

    /**
     * A streamed call (exec, logs), without the request timeout: the caller reads and closes the body. A status
     * other than 2xx is read as an error answer and thrown.
     */
    InputStream stream(String method, String path, Object body, Map<String, String> headers, String sandbox) {
        HttpResponse<InputStream> response = send(method, path, body, headers, null);
        if (response.statusCode() / 100 == 2) {
            return response.body();
        }
        try (InputStream in = response.body()) {
            byte[] bytes = readBounded(in, method, path);
            throw RemoteErrors.of(response.statusCode(), bytes.length == 0 ? null
                    : parse(bytes, method, path, response.statusCode()), where(method, path), sandbox);
        } catch (IOException e) {
            throw unreachable(method, path, e, true);
        }
    }

    private HttpResponse<InputStream> send(String method, String path, Object body, Map<String, String> headers,
            Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + key)
                .header("Accept", "application/json, application/x-ndjson, text/event-stream");
        if (timeout != null) {
            request.timeout(timeout);
        }
        headers.forEach(request::header);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            try {
                request.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .header("Content-Type", "application/json");
            } catch (IOException e) {
                throw new MsbException(where(method, path) + ": cannot write the request body: " + e.getMessage(), e);
            }
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteUnreachableException(where(method, path) + ": interrupted", true, e);
        } catch (IOException e) {
            // refused or timed out while connecting: the request never left
            boolean notSent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
            throw unreachable(method, path, e, !notSent);
        }
    }

    private RemoteUnreachableException unreachable(String method, String path, IOException e, boolean maybeDelivered) {
        String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                : RemoteErrors.printable(e.getMessage());
        return new RemoteUnreachableException(where(method, path) + ": the remote msb server cannot be reached ("
                + reason + ")", maybeDelivered, e);
    }

    private byte[] readBounded(InputStream in, String method, String path) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxResponseBytes + 1));
        if (bytes.length > maxResponseBytes) {
            throw new MsbException(where(method, path) + ": the remote's answer passed " + maxResponseBytes
                    + " bytes (maxResponseMib)");
        }
        return bytes;
    }

    private JsonNode parse(byte[] bytes, String method, String path, int status) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new MsbException(where(method, path) + ": the remote answered " + status + " with no valid JSON");
        }
    }

    /** {@code backend cloud (POST http://host:port/v1/…)}: which backend, which call. */
    String where(String method, String path) {
        return "backend " + backend + " (" + method + " " + base.resolve(path) + ")";
    }

    @Override
    public String toString() {
        return "RemoteMsb[" + backend + " " + base + "]";
    }
}
