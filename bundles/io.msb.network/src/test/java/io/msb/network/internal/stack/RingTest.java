package io.msb.network.internal.stack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RingTest {
    @Test
    void behavesAsABoundedQueueThroughGrowthWrapAndRelease() {
        Random r = new Random(7);
        Ring ring = new Ring(100_000);
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        int produced = 0;
        for (int i = 0; i < 20_000; i++) {
            if (r.nextBoolean()) {
                byte[] b = new byte[r.nextInt(30_000)];
                for (int j = 0; j < b.length; j++) {
                    b[j] = (byte) (produced + j);
                }
                int n = ring.write(b, 0, b.length);
                assertEquals(Math.min(b.length, 100_000 - model.size()), n, "writes up to the capacity");
                model.write(b, 0, n);
                produced += n;
            } else {
                int n = Math.min(model.size(), r.nextInt(40_000));
                byte[] got = new byte[n];
                ring.peek(0, got, 0, n);
                byte[] all = model.toByteArray();
                assertArrayEquals(java.util.Arrays.copyOf(all, n), got);
                ring.discard(n);
                model.reset();
                model.write(all, n, all.length - n);
            }
            assertEquals(model.size(), ring.size());
            assertEquals(100_000 - model.size(), ring.free());
        }
    }
}
