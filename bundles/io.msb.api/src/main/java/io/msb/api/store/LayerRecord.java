package io.msb.api.store;

/**
 * A layer blob.
 *
 * @param digest compressed blob digest
 * @param diffId uncompressed digest
 * @param mediaType media type
 * @param size compressed size in bytes
 */
public record LayerRecord(String digest, String diffId, String mediaType, long size) {
}
