package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The server's HTTP API (decision 0011), as the CLI needs it: JSON in, JSON or an NDJSON stream out. */
public final class ApiClient {
    /** Bounds what the CLI buffers of a JSON answer; a sandbox list page is far smaller. */
    static final int MAX_JSON_BYTES = 32 << 20;
    /** An error body carries a message, not a document. */
    static final int MAX_ERROR_BYTES = 64 << 10;

    private final Config config;
    private final ObjectMapper json;
    private final HttpClient http;

    public ApiClient(Config config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        // HTTP/1.1: a plain-http server gains nothing from an h2c upgrade attempt.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    }

    public JsonNode get(String path) {
        return json(send(request(path).GET()));
    }

    public JsonNode post(String path, Object body) {
        return json(send(request(path).POST(body(body)).header("Content-Type", "application/json")));
    }

    public JsonNode delete(String path) {
        return json(send(request(path).DELETE()));
    }

    /** POSTs and returns the body of a 2xx answer as a stream (the exec NDJSON); the caller closes it. */
    public InputStream stream(String path, Object body) {
        return send(request(path).POST(body(body)).header("Content-Type", "application/json")
            .header("Accept", "application/x-ndjson"));
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

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.apiUrl() + path));
        if (config.apiKey() != null) {
            b.header("Authorization", "Bearer " + config.apiKey());
        }
        return b;
    }

    private HttpRequest.BodyPublisher body(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private InputStream send(HttpRequest.Builder request) {
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable();
        } catch (IOException e) {
            // The JDK wraps a refused connection in a plain IOException on some paths.
            if (e.getCause() instanceof ConnectException) {
                throw unreachable();
            }
            throw new CliException("talking to the msb server at " + config.apiUrl() + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        if (response.statusCode() / 100 != 2) {
            throw error(response);
        }
        return response.body();
    }

    private CliException unreachable() {
        return new CliException("cannot reach the msb server at " + config.apiUrl()
            + " (MSB_API_URL; default " + Config.DEFAULT_URL + "); start it with " + config.startHint());
    }

    private ApiException error(HttpResponse<InputStream> response) {
        int status = response.statusCode();
        String code = "http_" + status;
        String message = "the server answered HTTP " + status;
        try (InputStream in = response.body()) {
            JsonNode error = json.readTree(in.readNBytes(MAX_ERROR_BYTES)).path("error");
            if (error.path("code").isTextual()) {
                code = error.get("code").asText();
            }
            if (error.path("message").isTextual() && !error.get("message").asText().isBlank()) {
                message = Text.printable(error.get("message").asText());
            }
        } catch (IOException | RuntimeException e) {
            // Not the contract's error body (a proxy's page, a truncated answer): the status says enough.
        }
        if (status == 401) {
            message += config.apiKey() == null
                ? " (no API key: set MSB_API_KEY or write the server's key to " + config.keySource() + ")"
                : " (the key from " + config.keySource() + " was refused)";
        }
        return new ApiException(status, code, message);
    }

    private JsonNode json(InputStream in) {
        try (in) {
            byte[] bytes = in.readNBytes(MAX_JSON_BYTES + 1);
            if (bytes.length > MAX_JSON_BYTES) {
                throw new CliException("the server's answer is larger than " + (MAX_JSON_BYTES >> 20) + " MiB");
            }
            return bytes.length == 0 ? json.nullNode() : json.readTree(bytes);
        } catch (IOException e) {
            throw new CliException("the server's answer is not JSON: " + e.getMessage());
        }
    }
}
