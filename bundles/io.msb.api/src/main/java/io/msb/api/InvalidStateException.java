package io.msb.api;

/**
 * The sandbox is not in a state the operation accepts, e.g. exec in a paused sandbox or pause of a stopped one;
 * the message names the sandbox, its state and what to do instead.
 */
public class InvalidStateException extends MsbException {
    private static final long serialVersionUID = 1L;

    public InvalidStateException(String message) {
        super(message);
    }
}
