package io.msb.volume.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.api.InvalidConfigException;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** microsandbox's volume name rules and the spec's kind rules, each refusal naming its field and rule. */
class VolumeNamesTest {
    @Test
    void acceptsMicrosandboxNames() {
        for (String ok : new String[] {"a", "pip-cache", "data.v2", "under_score", "_x", "9", "A".repeat(63)}) {
            assertEquals(ok, VolumeNames.name(ok));
        }
    }

    @Test
    void refusesOtherNamesNamingTheFieldAndRule() {
        for (String bad : new String[] {".", "..", ".hidden", "-opt", "a/b", "a b", "é", "a\u0000", "A".repeat(64),
                ".creating-x"}) {
            var e = assertThrows(InvalidConfigException.class, () -> VolumeNames.name(bad), bad);
            assertEquals("name", e.field());
            assertEquals(true, e.getMessage().contains("must be 1-63 characters of A-Z a-z 0-9 . _ -"), e.getMessage());
        }
        assertEquals("name", assertThrows(InvalidConfigException.class, () -> VolumeNames.name("")).field());
        assertEquals("name", assertThrows(InvalidConfigException.class, () -> VolumeNames.name(null)).field());
    }

    @Test
    void kindsTakeTheirOwnSizes() {
        VolumeNames.spec(new VolumeSpec("d", VolumeKind.DIRECTORY, 10, null, Map.of()), 100);
        VolumeNames.spec(new VolumeSpec("k", VolumeKind.DISK, null, 100, Map.of()), 100);
        assertEquals("capacityMib", field(new VolumeSpec("d", VolumeKind.DIRECTORY, null, 5, Map.of())));
        assertEquals("capacityMib", field(new VolumeSpec("k", VolumeKind.DISK, null, null, Map.of())));
        assertEquals("capacityMib", field(new VolumeSpec("k", VolumeKind.DISK, null, 101, Map.of())));
        assertEquals("quotaMib", field(new VolumeSpec("k", VolumeKind.DISK, 5, 10, Map.of())));
        assertEquals("quotaMib", field(new VolumeSpec("d", VolumeKind.DIRECTORY, 0, null, Map.of())));
        assertEquals("labels", field(new VolumeSpec("d", VolumeKind.DIRECTORY, null, null, Map.of("", "v"))));
    }

    private static String field(VolumeSpec spec) {
        return assertThrows(InvalidConfigException.class, () -> VolumeNames.spec(spec, 100)).field();
    }
}
