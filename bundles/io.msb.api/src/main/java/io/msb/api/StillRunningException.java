package io.msb.api;

/** The operation needs a stopped sandbox, e.g. remove without force. */
public class StillRunningException extends MsbException {
    private static final long serialVersionUID = 1L;

    public StillRunningException(String name) {
        super("sandbox is still running: " + name);
    }
}
