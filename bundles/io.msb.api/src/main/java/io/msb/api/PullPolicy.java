package io.msb.api;

/** When to contact the registry for an image reference. */
public enum PullPolicy {
    /** Pull only when the image is not cached (the default). */
    IF_MISSING,
    /** Always resolve the reference against the registry; unchanged layers are not downloaded again. */
    ALWAYS,
    /** Never contact the registry; fail if the image is not cached. */
    NEVER
}
