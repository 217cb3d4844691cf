package io.msb.api.network;

/** microsandbox's {@code rate_limiter: {egress?, ingress?}}; {@code null} means unlimited. */
public record RateLimiter(DirectionLimits egress, DirectionLimits ingress) {
    public static final RateLimiter UNLIMITED = new RateLimiter(null, null);
}
