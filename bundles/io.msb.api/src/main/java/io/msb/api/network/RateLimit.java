package io.msb.api.network;

import io.msb.api.InvalidConfigException;

/**
 * A token bucket: microsandbox's {@code TokenBucketConfig {size, refill_time_ms, one_time_burst}}. A token is
 * a byte for bandwidth and a frame for ops; the bucket holds {@code size} tokens, refills fully every
 * {@code refillTimeMs}, and starts with {@code oneTimeBurst} extra tokens that are not refilled.
 */
public record RateLimit(long size, long refillTimeMs, long oneTimeBurst) {
    public RateLimit {
        if (size <= 0) {
            throw new InvalidConfigException("size", "rate limit size must be > 0: " + size);
        }
        if (refillTimeMs <= 0) {
            throw new InvalidConfigException("refill_time_ms", "rate limit refill_time_ms must be > 0: " + refillTimeMs);
        }
        if (oneTimeBurst < 0) {
            throw new InvalidConfigException("one_time_burst", "rate limit one_time_burst must be >= 0: " + oneTimeBurst);
        }
    }
}
