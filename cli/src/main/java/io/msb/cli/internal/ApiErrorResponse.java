package io.msb.cli.internal;

/**
 * The server answered a request with an error: its HTTP status and the error body {@code {"error":{"code","message"}}}.
 * The client's view of an error; the server raises its own ({@code io.msb.http.internal.ApiException}).
 */
final class ApiErrorResponse extends CliException {
    private static final long serialVersionUID = 1L;
    final int status;
    /** The error code of the contract (decision 0011), e.g. {@code sandbox_not_found}. */
    final String code;

    ApiErrorResponse(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
