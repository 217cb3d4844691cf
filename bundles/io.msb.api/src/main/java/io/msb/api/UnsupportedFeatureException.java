package io.msb.api;

/** The selected backend cannot do what was asked (e.g. a rootfs kind or a TTY it does not support). */
public class UnsupportedFeatureException extends MsbException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFeatureException(String message) {
        super(message);
    }
}
