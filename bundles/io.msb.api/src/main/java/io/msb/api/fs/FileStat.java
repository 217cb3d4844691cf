package io.msb.api.fs;

import java.time.Instant;

/**
 * Metadata of a guest file.
 *
 * @param path the path that was asked for
 * @param type file kind
 * @param size size in bytes
 * @param mode permission bits (and set-id/sticky bits)
 * @param uid owner
 * @param gid group
 * @param modified last modification time
 */
public record FileStat(String path, FileType type, long size, int mode, int uid, int gid, Instant modified) {
}
