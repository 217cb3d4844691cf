package io.msb.api.network;

/**
 * microsandbox's {@code RateLimiterConfig {bandwidth?, ops?}} for one direction; {@code null} means unlimited.
 */
public record DirectionLimits(RateLimit bandwidth, RateLimit ops) {
}
