package io.msb.cli.internal;

/** A failure the CLI reports as {@code msb: <message>} with an exit status (125 unless the guest decided it). */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Docker's convention: the client or the server failed, not the guest command. */
    public static final int EXIT_CLI = 125;

    private final int exitStatus;

    public CliException(String message) {
        this(message, EXIT_CLI);
    }

    public CliException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
