package io.msb.network.internal.http;

/** A request the proxy refuses: the guest gets {@code status} with {@code reason} as the body, and the flow closes. */
public final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    /** @param reason shown to the guest and in logs: never a secret's value */
    public Refusal(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** The response the guest gets. */
    public byte[] response() {
        String phrase = switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 502 -> "Bad Gateway";
            default -> "Error";
        };
        String body = getMessage() + "\n";
        return ("HTTP/1.1 " + status + " " + phrase + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
