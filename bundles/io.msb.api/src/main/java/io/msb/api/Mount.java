package io.msb.api;

import java.util.Objects;

/**
 * Something made visible at {@code guestPath}: microsandbox's {@code VolumeMount} (bind, named, tmpfs, disk image)
 * with its {@code MountOptions}. Rules (absolute normalized paths, existing host files, limits) are checked by
 * {@link SandboxService#create}, which records host paths resolved.
 *
 * @param source host directory ({@link Kind#BIND}), volume name ({@link Kind#VOLUME}), image file
 *        ({@link Kind#DISK_IMAGE}), or null ({@link Kind#TMPFS})
 * @param guestPath absolute path in the guest
 * @param kind what {@code source} is
 * @param readOnly mount read-only in the guest
 * @param noexec no program runs from the mount
 * @param nosuid set-user-id bits are ignored
 * @param nodev device files do not open
 * @param sizeMib most a {@link Kind#TMPFS} mount holds, 0 for the guest's default (half its memory)
 * @param format {@code raw} or {@code qcow2} for a {@link Kind#DISK_IMAGE}, null otherwise (then raw)
 * @param fstype file system of a {@link Kind#DISK_IMAGE}, null for ext4
 */
public record Mount(String source, String guestPath, Kind kind, boolean readOnly, boolean noexec, boolean nosuid,
        boolean nodev, int sizeMib, String format, String fstype) {
    public enum Kind {
        /** A host directory shared into the guest. */
        BIND,
        /** A named volume ({@link io.msb.api.volume.VolumeService}). */
        VOLUME,
        /** Memory in the guest. */
        TMPFS,
        /** A file system image on the host, attached as a block device. */
        DISK_IMAGE
    }

    public Mount {
        Objects.requireNonNull(guestPath, "guestPath");
        Objects.requireNonNull(kind, "kind");
        if (kind != Kind.TMPFS) {
            Objects.requireNonNull(source, "source");
        }
    }

    /** A bind or named mount without options (the form before 2.3). */
    public Mount(String source, String guestPath, Kind kind, boolean readOnly) {
        this(source, guestPath, kind, readOnly, false, false, false, 0, null, null);
    }

    /** The host directory {@code host} at {@code guest}, read-write. */
    public static Mount bind(String host, String guest) {
        return new Mount(host, guest, Kind.BIND, false);
    }

    /** The named volume at {@code guest}, read-write. */
    public static Mount volume(String name, String guest) {
        return new Mount(name, guest, Kind.VOLUME, false);
    }

    /** A tmpfs of at most {@code sizeMib} (0: the guest's default) at {@code guest}. */
    public static Mount tmpfs(String guest, int sizeMib) {
        return new Mount(null, guest, Kind.TMPFS, false, false, false, false, sizeMib, null, null);
    }

    /** The image file {@code host} ({@code raw} or {@code qcow2}; null: raw) holding {@code fstype} (null: ext4). */
    public static Mount diskImage(String host, String guest, String format, String fstype) {
        return new Mount(host, guest, Kind.DISK_IMAGE, false, false, false, false, 0, format, fstype);
    }

    /**
     * The command lines' {@code -v HOST:GUEST[:ro|:rw]} / {@code -v NAME:GUEST[:ro|:rw]}: an absolute path is a host
     * directory, anything else a volume name.
     *
     * @throws InvalidConfigException naming {@code --volume} when it has another shape
     */
    public static Mount parseVolumeOption(String value) {
        String[] parts = value.split(":", -1);
        boolean ro = parts.length == 3 && parts[2].equals("ro");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
                || (parts.length == 3 && !ro && !parts[2].equals("rw"))) {
            throw new InvalidConfigException("--volume", "--volume " + value + ": must be HOST:GUEST or NAME:GUEST,"
                    + " optionally followed by :ro or :rw");
        }
        Mount m = parts[0].startsWith("/") ? bind(parts[0], parts[1]) : volume(parts[0], parts[1]);
        return ro ? m.asReadOnly() : m;
    }

    /**
     * The command lines' {@code --tmpfs GUEST[:SIZE]}, SIZE in MiB or with a unit ({@code 64M}, {@code 1G}).
     *
     * @throws InvalidConfigException naming {@code --tmpfs} when it has another shape
     */
    public static Mount parseTmpfsOption(String value) {
        int colon = value.indexOf(':');
        String guest = colon < 0 ? value : value.substring(0, colon);
        java.util.regex.Matcher size = java.util.regex.Pattern.compile("(\\d{1,7})\\s*(|m|mb|mib|g|gb|gib)",
                java.util.regex.Pattern.CASE_INSENSITIVE).matcher(colon < 0 ? "0" : value.substring(colon + 1).trim());
        if (guest.isEmpty() || !size.matches()) {
            throw new InvalidConfigException("--tmpfs", "--tmpfs " + value + ": must be GUEST or GUEST:SIZE, SIZE in MiB"
                    + " or with M or G (64, 64M, 1G)");
        }
        int n = Integer.parseInt(size.group(1));
        return tmpfs(guest, size.group(2).toLowerCase(java.util.Locale.ROOT).startsWith("g") ? n * 1024 : n);
    }

    /** This mount with microsandbox's {@code MountOptions}. */
    public Mount withOptions(boolean readOnly, boolean noexec, boolean nosuid, boolean nodev) {
        return new Mount(source, guestPath, kind, readOnly, noexec, nosuid, nodev, sizeMib, format, fstype);
    }

    /** This mount read-only. */
    public Mount asReadOnly() {
        return withOptions(true, noexec, nosuid, nodev);
    }

    /** This mount with another source (e.g. the host path resolved). */
    public Mount withSource(String source) {
        return new Mount(source, guestPath, kind, readOnly, noexec, nosuid, nodev, sizeMib, format, fstype);
    }
}
