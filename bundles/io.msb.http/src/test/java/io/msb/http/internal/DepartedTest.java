package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DepartedTest {
    private static Wire.SandboxResponse stopped(String name) {
        return new Wire.SandboxResponse(UUID.randomUUID().toString(), Mapping.ORG_ID, name, name, "running", null, true,
                "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", null, null, null, "qemu", true).stopped(Instant.EPOCH);
    }

    @Test
    void aStoppedEphemeralIsFoundByNameAndIdUntilForgotten() {
        Departed departed = new Departed();
        Wire.SandboxResponse gone = departed.add(stopped("eph"));
        assertEquals("stopped", gone.status());
        assertEquals(Instant.EPOCH.toString(), gone.stoppedAt());
        assertEquals(gone, departed.byName("eph").orElseThrow());
        assertEquals(gone, departed.byId(gone.id().toUpperCase()).orElseThrow());
        assertTrue(departed.byName("other").isEmpty());
        departed.forget("eph");
        assertTrue(departed.byName("eph").isEmpty());
        assertTrue(departed.byId(gone.id()).isEmpty());
    }

    @Test
    void onlyTheLatestAreKept() {
        Departed departed = new Departed();
        Wire.SandboxResponse first = departed.add(stopped("s0"));
        for (int i = 1; i <= Departed.MAX; i++) {
            departed.add(stopped("s" + i));
        }
        assertTrue(departed.byName("s0").isEmpty());
        assertTrue(departed.byId(first.id()).isEmpty());
        assertTrue(departed.byName("s" + Departed.MAX).isPresent());
    }
}
