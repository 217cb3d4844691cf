package io.msb.api.image;

/**
 * One layer of an image.
 *
 * @param digest digest of the compressed blob ({@code sha256:…})
 * @param diffId digest of the uncompressed tar
 * @param mediaType layer media type
 * @param size compressed size in bytes
 */
public record LayerInfo(String digest, String diffId, String mediaType, long size) {
}
