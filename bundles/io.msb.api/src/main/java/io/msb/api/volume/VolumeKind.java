package io.msb.api.volume;

/** How a named volume stores its files; microsandbox's {@code "dir"} and {@code "disk"}. */
public enum VolumeKind {
    /** A host directory shared into the guest. */
    DIRECTORY("dir"),
    /** A raw ext4 image attached as a block device; needs a capacity. */
    DISK("disk");

    private final String wireName;

    VolumeKind(String wireName) {
        this.wireName = wireName;
    }

    /** {@code dir} or {@code disk}, as microsandbox's database and CLI spell it. */
    public String wireName() {
        return wireName;
    }

    /** The kind with that wire name. */
    public static VolumeKind ofWireName(String name) {
        for (VolumeKind k : values()) {
            if (k.wireName.equals(name)) {
                return k;
            }
        }
        throw io.msb.api.Check.invalid("kind", "must be dir or disk, not " + name);
    }
}
