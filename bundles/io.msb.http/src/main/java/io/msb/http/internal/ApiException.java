package io.msb.http.internal;

import java.util.Map;

/**
 * The server's error answer: HTTP status, the stable code of decision 0011, a message, optional details.
 * The CLI reads it back as its own {@code ApiErrorResponse}.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final transient Map<String, Object> details;

    ApiException(int status, String code, String message, Map<String, Object> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    /** 400 invalid_request; the message names the field and the rule. */
    static ApiException invalid(String field, String rule) {
        return new ApiException(400, "invalid_request", field + ": " + rule, null);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    Map<String, Object> details() {
        return details;
    }
}
