package io.msb.http.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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
    /** A request attribute: its body was (or began to be) read, so it must not be read again. */
    private static final String READ = RequestBodies.class.getName() + ".read";
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
        return Json.parse(receive(req, in -> Json.readBytes(in, declaredLength, maxBytes)), type);
    }

    /** What reads a body; its IOException becomes the client's error ({@link #failure}: 408 or 400). */
    interface Reader<T> {
        T read(InputStream body) throws IOException;
    }

    /**
     * Reads the body of {@code req} with {@code reader} as one of its client's bodies still arriving (429 beyond
     * {@code maxPerClient}): JSON bodies and the image archives of {@code POST /v1/images/load} alike.
     */
    <T> T receive(HttpServletRequest req, Reader<T> reader) {
        String client = req.getRemoteAddr();
        if (!enter(client)) {
            throw new ApiException(429, "too_many_requests", "too many requests from " + client
                    + " whose body is still arriving (at most " + maxPerClient + "); send the body, then retry", null);
        }
        try {
            req.setAttribute(READ, Boolean.TRUE);
            return reader.read(req.getInputStream());
        } catch (IOException | HttpException.RuntimeException e) {
            ApiException failure = failure(e);
            LOG.log(Level.DEBUG, "request body from {0} failed: {1}", client, failure.getMessage());
            throw failure;
        } finally {
            leave(client);
        }
    }

    /**
     * Reads and drops the body of a request refused before its body was read. The client may still be sending
     * it, and a connection closed on unread bytes is reset, which can destroy the answer still in flight (the
     * client then sees only "connection reset"). Not for bodies already read or failed, nor for refusals of the
     * body's size (413) or of its sender's count (429), nor beyond the size limit.
     *
     * @return whether the connection is clean for another request: false when unread body bytes may remain
     */
    boolean discardUnread(HttpServletRequest req, int status) {
        long declared = req.getContentLengthLong();
        boolean none = declared == 0 || declared < 0 && req.getHeader("Transfer-Encoding") == null;
        if (none || req.getAttribute(READ) != null) {
            return true;
        }
        if (status == 413 || status == 429 || declared > maxBytes) {
            return false;
        }
        try {
            receive(req, in -> {
                byte[] buffer = new byte[8192];
                for (long total = 0, n; total <= maxBytes && (n = in.read(buffer)) >= 0; total += n) {
                    // dropped
                }
                return null;
            });
            return true;
        } catch (RuntimeException e) {
            return false; // the refusal is the answer; a body that could not be dropped changes nothing else
        }
    }

    /**
     * Bodies are JSON: announced as such, or not announced, or as the form type {@code curl -d} announces for
     * anything (decision 1000). Any other type is 415: the client sent something else than it meant to.
     */
    static void checkContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        String media = mediaType(contentType);
        if (media.equals("application/json") || media.startsWith("application/") && media.endsWith("+json")
                || media.equals("application/x-www-form-urlencoded")) {
            return;
        }
        throw new ApiException(415, "invalid_request", "Content-Type: must be application/json"
                + JsonErrors.detail("got " + media), null);
    }

    /** The media type of a Content-Type value, without parameters, in lower case. */
    static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
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
