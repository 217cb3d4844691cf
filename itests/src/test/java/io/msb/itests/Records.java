package io.msb.itests;

import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.stream.Collectors;

/** Sandbox rows as the runtime would write them, so that the runtime can read back what the tests insert. */
final class Records {
    private Records() {
    }

    /**
     * A stopped sandbox of the given image. {@code configJson} follows the runtime's stored spec format,
     * version 1 (the contract between io.msb.runtime and the rows it owns): only the required fields.
     */
    static SandboxRecord stopped(String name, String image, Map<String, String> labels) {
        String labelJson = labels.entrySet().stream()
                .map(e -> quote(e.getKey()) + ":" + quote(e.getValue()))
                .collect(Collectors.joining(",", "{", "}"));
        String json = "{\"v\":1,\"name\":" + quote(name)
                + ",\"rootfs\":{\"kind\":\"oci\",\"reference\":" + quote(image) + "}"
                + ",\"cpus\":1,\"memoryMib\":256,\"diskSizeMib\":0,\"env\":{},\"labels\":" + labelJson
                + ",\"mounts\":[],\"pullPolicy\":\"IF_MISSING\",\"detached\":true,\"ephemeral\":false}";
        // Millisecond precision: what every store keeps, so records compare equal after a round trip.
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new SandboxRecord(name, json, SandboxStatus.STOPPED, false, labels, now, now);
    }

    private static String quote(String s) {
        // Test names and labels are plain ASCII without quotes or backslashes.
        return "\"" + s + "\"";
    }
}
