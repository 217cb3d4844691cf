package io.msb.api.network;

import io.msb.api.InvalidConfigException;
import java.util.List;

/**
 * microsandbox's {@code NetworkConfig}. Minimal shape for now (what the stack needs); DNS settings, secrets,
 * {@code strict} and the map form come with the policy engine.
 *
 * @param maxConnections open flows allowed at once ({@code max_connections}, default 256, at most 4096)
 */
public record NetworkConfig(boolean enabled, List<PublishedPort> ports, NetworkPolicy policy,
        int maxConnections, RateLimiter rateLimiter) {
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final int MAX_CONNECTIONS_LIMIT = 4096;

    public NetworkConfig {
        ports = ports == null ? List.of() : List.copyOf(ports);
        rateLimiter = rateLimiter == null ? RateLimiter.UNLIMITED : rateLimiter;
        if (maxConnections < 1 || maxConnections > MAX_CONNECTIONS_LIMIT) {
            throw new InvalidConfigException("max_connections",
                    "max_connections must be 1-" + MAX_CONNECTIONS_LIMIT + ": " + maxConnections);
        }
    }
}
