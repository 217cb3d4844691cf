package io.msb.api.store;

import java.time.Instant;

/**
 * A snapshot of a sandbox's writable disk.
 *
 * @param name unique name
 * @param sandbox the sandbox it was taken from
 * @param path host file holding it
 * @param sizeBytes size on disk
 * @param createdAt creation time
 */
public record SnapshotRecord(String name, String sandbox, String path, long sizeBytes, Instant createdAt) {
}
