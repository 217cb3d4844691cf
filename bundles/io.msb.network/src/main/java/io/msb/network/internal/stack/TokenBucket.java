package io.msb.network.internal.stack;

import io.msb.api.network.RateLimit;

/**
 * microsandbox's token bucket: {@code size} tokens, refilled at {@code size} per {@code refill_time_ms},
 * plus a one-time burst spent first. One consumer thread (the stack's loop).
 */
final class TokenBucket {
    private final long size;
    private final long refillNanos;
    private long tokens;
    private long burst;
    private long last;

    TokenBucket(RateLimit limit, long nowNanos) {
        size = limit.size();
        refillNanos = limit.refillTimeMs() * 1_000_000L;
        tokens = size;
        burst = limit.oneTimeBurst();
        last = nowNanos;
    }

    /** Tokens an amount costs: more than the bucket can ever hold costs all it can hold, so it still passes. */
    private long cost(long amount) {
        return Math.min(amount, size + burst);
    }

    private void refill(long now) {
        long elapsed = now - last;
        if (elapsed <= 0) {
            return;
        }
        long add = (long) ((double) elapsed * size / refillNanos);
        if (add > 0) {
            tokens = Math.min(size, tokens + add);
            last = now;
        }
    }

    boolean available(long amount, long now) {
        refill(now);
        return burst + tokens >= cost(amount);
    }

    void consume(long amount, long now) {
        refill(now);
        long c = cost(amount);
        long fromBurst = Math.min(burst, c);
        burst -= fromBurst;
        tokens = Math.max(0, tokens - (c - fromBurst));
    }

    /** Milliseconds until {@code amount} is available (at least 1). */
    long millisUntil(long amount, long now) {
        refill(now);
        long missing = cost(amount) - burst - tokens;
        if (missing <= 0) {
            return 1;
        }
        return Math.max(1, (long) Math.ceil((double) missing * refillNanos / size / 1_000_000));
    }
}
