package io.msb.api.spi;

import java.util.Map;

/**
 * How a VMM backend connects a VM to its network: a backend-specific kind (e.g. {@code socket}) and
 * its parameters.
 */
public record NetworkAttachment(String kind, Map<String, String> parameters) {
    public NetworkAttachment {
        parameters = Map.copyOf(parameters);
    }
}
