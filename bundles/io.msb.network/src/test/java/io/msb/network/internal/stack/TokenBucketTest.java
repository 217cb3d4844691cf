package io.msb.network.internal.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.RateLimit;
import org.junit.jupiter.api.Test;

/** The bucket with an explicit clock (nanoseconds passed in): no waiting, no timing in the assertions. */
class TokenBucketTest {
    static final long MS = 1_000_000L;

    @Test
    void fullAtStartRefillsAtSizePerRefillTimeAndSpendsTheBurstFirst() {
        TokenBucket b = new TokenBucket(new RateLimit(1000, 100, 500), 0);
        assertTrue(b.available(1500, 0), "size plus the one-time burst");
        b.consume(1500, 0);
        assertFalse(b.available(1, 0));
        assertEquals(10, b.millisUntil(100, 0), "100 tokens take a tenth of the refill time");
        assertTrue(b.available(100, 10 * MS));
        b.consume(100, 10 * MS);
        assertTrue(b.available(1000, 1000 * MS), "refills up to its size");
        b.consume(1000, 1000 * MS);
        assertFalse(b.available(1, 1000 * MS), "and no more: the burst does not come back");
    }

    @Test
    void anAmountAboveTheSizeCostsAFullBucketSoItStillPasses() {
        TokenBucket b = new TokenBucket(new RateLimit(100, 10, 0), 0);
        assertTrue(b.available(1514, 0));
        b.consume(1514, 0);
        assertFalse(b.available(1, 0));
        assertTrue(b.available(1514, 10 * MS));
    }
}
