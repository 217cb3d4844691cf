package io.msb.api;

import java.util.List;

/** The VM did not reach a ready agent. Carries the stage that failed and the last kernel log lines. */
public class BootFailedException extends MsbException {
    private static final long serialVersionUID = 1L;

    /** Where the boot stopped. */
    public enum Stage { PREPARE, VMM_START, KERNEL, AGENT_HANDSHAKE, WORKDIR }

    private final Stage stage;
    private final List<String> kernelLogTail;

    public BootFailedException(Stage stage, String message, List<String> kernelLogTail, Throwable cause) {
        super("boot failed at " + stage.name().toLowerCase(java.util.Locale.ROOT) + ": " + message, cause);
        this.stage = stage;
        this.kernelLogTail = List.copyOf(kernelLogTail);
    }

    public Stage stage() {
        return stage;
    }

    public List<String> kernelLogTail() {
        return kernelLogTail;
    }
}
