package io.msb.cli.internal;

/** The server answered with an error body {@code {"error":{"code","message"}}}. */
public final class ApiException extends CliException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The error code of the contract (decision 0011), e.g. {@code sandbox_not_found}. */
    public String code() {
        return code;
    }
}
