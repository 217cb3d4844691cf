package io.msb.http.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpException;

/**
 * Reads request bodies (decision 1007): bounded in size (413), at most {@code maxPerClient} bodies still
 * arriving per client address (429 at once beyond that, so slow bodies cannot hold every server thread), and
 * a body that stalls, arrives too slowly or ends early is the client's error (408 or 400) with one DEBUG line,
 * never a 500 with a stack trace.
 */
final class RequestBodies {
    private static final System.Logger LOG = System.getLogger(RequestBodies.class.getName());
    private final int maxBytes;
    private final int maxPerClient;
    private final ConcurrentHashMap<String, Integer> arriving = new ConcurrentHashMap<>();

    RequestBodies(int maxBytes, int maxPerClient) {
        this.maxBytes = maxBytes;
        this.maxPerClient = maxPerClient;
    }

    <T> T read(HttpServletRequest req, Class<T> type) {
        checkContentType(req.getContentType());
        long declaredLength = req.getContentLengthLong();
        if (declaredLength > maxBytes) {
            throw Json.tooLarge(maxBytes);
        }
        String client = req.getRemoteAddr();
        if (!enter(client)) {
            throw new ApiException(429, "too_many_requests", "too many requests from " + client
                    + " whose body is still arriving (at most " + maxPerClient + "); send the body, then retry", null);
        }
        byte[] body;
        try {
            body = Json.readBytes(req.getInputStream(), declaredLength, maxBytes);
        } catch (IOException | HttpException.RuntimeException e) {
            ApiException failure = failure(e);
            LOG.log(Level.DEBUG, "request body from {0} failed: {1}", client, failure.getMessage());
            throw failure;
        } finally {
            leave(client);
        }
        return Json.parse(body, type);
    }

    /**
     * Bodies are JSON: announced as such, or not announced, or as the form type {@code curl -d} announces for
     * anything (decision 1000). Any other type is 415: the client sent something else than it meant to.
     */
    static void checkContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        int semicolon = contentType.indexOf(';');
        String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip()
                .toLowerCase(Locale.ROOT);
        if (media.equals("application/json") || media.startsWith("application/") && media.endsWith("+json")
                || media.equals("application/x-www-form-urlencoded")) {
            return;
        }
        throw new ApiException(415, "invalid_request", "Content-Type: must be application/json"
                + JsonErrors.detail("got " + media), null);
    }

    int arriving(String client) {
        return arriving.getOrDefault(client, 0);
    }

    private boolean enter(String client) {
        boolean[] admitted = {false};
        arriving.compute(client, (k, n) -> {
            int now = n == null ? 0 : n;
            admitted[0] = now < maxPerClient;
            return admitted[0] ? now + 1 : n;
        });
        return admitted[0];
    }

    private void leave(String client) {
        arriving.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** A failed body read as the client's error: 408 when it stalled or crawled, 400 when it ended early. */
    static ApiException failure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpException http && http.getCode() == 408 || t instanceof TimeoutException) {
                return new ApiException(408, "request_timeout",
                        "request body: not received in time" + JsonErrors.detail(t.getMessage()), null);
            }
            if (t instanceof HttpException http && http.getCode() >= 400 && http.getCode() < 500) {
                return new ApiException(http.getCode(), JsonErrors.code(http.getCode()),
                        "request body: " + JsonErrors.message(http.getCode(), t.getMessage()), null);
            }
            if (t instanceof EOFException) {
                return ApiException.invalid("request body", "ended before the bytes its Content-Length announced");
            }
        }
        return ApiException.invalid("request body", "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
}
