package io.msb.api.image;

import io.msb.api.MsbException;

/**
 * No endpoint of a registry could be reached (connection refused, unknown host, timeout, TLS failure): the
 * platform and the request are fine, the upstream is not (the HTTP API answers 502 {@code registry_unreachable}).
 */
public class RegistryUnreachableException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final String registry;

    public RegistryUnreachableException(String registry, String message, Throwable cause) {
        super(message, cause);
        this.registry = registry;
    }

    /** The registry as the image reference names it, e.g. {@code docker.io} or {@code 127.0.0.1:5000}. */
    public String registry() {
        return registry;
    }
}
