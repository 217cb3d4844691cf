package io.msb.http.internal;

import java.nio.ByteBuffer;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages as decision 0011's JSON error body. Jetty writes these itself, before or around the
 * servlet: header or URI too large (431, 414), a path it will not decode (%2F, NUL, bad UTF-8), a missing
 * Host, Content-Length with Transfer-Encoding, a body that stalls (408). Requests whose path is known and lies
 * outside {@code /v1} (the Web Console) keep the error page of the handler this one replaced.
 */
final class JsonErrors implements Request.Handler {
    static final int MAX_MESSAGE = 200;
    /** The paths Jetty makes up for a request line it could not parse, or a URI it would not decode. */
    static final Set<String> UNPARSED = Set.of("/badMessage", "/badURI");
    private final Request.Handler previous;

    JsonErrors(Request.Handler previous) {
        this.previous = previous;
    }

    Request.Handler previous() {
        return previous;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (previous != null && !isApi(request)) {
            return previous.handle(request, response, callback);
        }
        int status = response.getStatus();
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        byte[] body = Json.write(new Wire.ErrorResponse(new Wire.ErrorBody(code(status),
                message(status, message == null ? null : message.toString()), null)));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /**
     * Under /v1, or a request Jetty could not parse far enough to know its path: Jetty then stands in one of
     * {@link #UNPARSED} (for a URI too long, %2F, NUL, bad UTF-8 …), or leaves the path empty.
     */
    private static boolean isApi(Request request) {
        String path;
        try {
            path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
        } catch (RuntimeException e) {
            return true;
        }
        return path == null || path.isEmpty() || UNPARSED.contains(path) || path.equals("/v1") || path.startsWith("/v1/");
    }

    /**
     * Decision 0011's code for a status Jetty chose: the SDK's {@code invalid_request} for every refused request
     * (405, 413, 415 … included) except those with a code of their own.
     */
    static String code(int status) {
        return switch (status) {
            case 401 -> "invalid_api_key";
            case 404 -> "not_found";
            case 408 -> "request_timeout";
            case 429 -> "too_many_requests";
            case 501 -> "not_supported";
            case 503 -> "unavailable";
            default -> status >= 400 && status < 500 ? "invalid_request" : "internal_error";
        };
    }

    /** What went wrong in words: Jetty's reason, bounded and printable, after the status's own name. */
    static String message(int status, String jettyMessage) {
        String reason = switch (status) {
            case 414 -> "request URI: too long";
            case 431 -> "request headers: too large";
            case 408 -> "request: not received in time";
            default -> HttpStatus.getMessage(status);
        };
        return jettyMessage != null && jettyMessage.equalsIgnoreCase(HttpStatus.getMessage(status))
                ? reason : reason + detail(jettyMessage);
    }

    /** " (text)" with Jetty's text bounded and printable, or nothing when there is none. */
    static String detail(String text) {
        if (text == null || text.isBlank()) {
            return "";
        }
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return " (" + (printable.length() > MAX_MESSAGE ? printable.substring(0, MAX_MESSAGE) + "..." : printable) + ")";
    }
}
