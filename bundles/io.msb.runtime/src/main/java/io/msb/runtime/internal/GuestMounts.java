package io.msb.runtime.internal;

import io.msb.api.Mount;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.VmSpec;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.protocol.GuestBootstrap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A validated spec's mounts as the VM gets them (decision 1202): host directories (binds, directory volumes) as
 * shares with tags {@code msb0, msb1…}, image files (disk images, disk volumes) as extra disks the guest finds by
 * serial, and the list agentd mounts, parents before children.
 *
 * @param shares the VM's shares
 * @param disks the VM's mount disks, {@code i} carrying {@link VmSpec#mountDiskSerial(int)}
 * @param bootstrap what agentd mounts, in order
 */
record GuestMounts(List<VmSpec.Share> shares, List<VmSpec.Disk> disks, List<GuestBootstrap.Mount> bootstrap) {
    static final String SHARE_TAG_PREFIX = "msb";

    /** @param volumes the named-volume service, or null when none runs (then a named mount cannot boot) */
    static GuestMounts of(List<Mount> mounts, VolumeService volumes) {
        List<VmSpec.Share> shares = new ArrayList<>();
        List<VmSpec.Disk> disks = new ArrayList<>();
        List<GuestBootstrap.Mount> guest = new ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            String kind;
            String source = null;
            switch (m.kind()) {
                case TMPFS -> kind = GuestBootstrap.Mount.TMPFS;
                case BIND -> {
                    kind = GuestBootstrap.Mount.SHARE;
                    source = share(shares, Path.of(m.source()), m.readOnly());
                }
                case DISK_IMAGE -> {
                    kind = GuestBootstrap.Mount.DISK;
                    source = disk(disks, Path.of(m.source()), m.format(), m.readOnly());
                }
                case VOLUME -> {
                    VolumeInfo v = volume("mounts[" + i + "].name", m.source(), volumes);
                    boolean directory = v.kind() == VolumeKind.DIRECTORY;
                    kind = directory ? GuestBootstrap.Mount.SHARE : GuestBootstrap.Mount.DISK;
                    source = directory ? share(shares, v.path(), m.readOnly()) : disk(disks, v.path(), "raw", m.readOnly());
                }
                default -> throw new IllegalStateException("mount kind " + m.kind());
            }
            String fstype = kind.equals(GuestBootstrap.Mount.DISK) ? (m.fstype() == null ? "ext4" : m.fstype()) : null;
            guest.add(new GuestBootstrap.Mount(kind, source, m.guestPath(), fstype,
                    m.kind() == Mount.Kind.TMPFS && m.sizeMib() > 0 ? m.sizeMib() : null, m.readOnly(), m.noexec(),
                    m.nosuid(), m.nodev()));
        }
        // a parent before what is mounted inside it, whatever order the spec gave them in (the sort is stable)
        guest.sort(Comparator.comparingLong(g -> g.path().chars().filter(c -> c == '/').count()));
        return new GuestMounts(shares, disks, guest);
    }

    private static String share(List<VmSpec.Share> shares, Path path, boolean readOnly) {
        String tag = SHARE_TAG_PREFIX + shares.size();
        shares.add(new VmSpec.Share(tag, path, readOnly));
        return tag;
    }

    private static String disk(List<VmSpec.Disk> disks, Path path, String format, boolean readOnly) {
        String serial = VmSpec.mountDiskSerial(disks.size());
        disks.add(new VmSpec.Disk(path, readOnly, format == null ? "raw" : format));
        return serial;
    }

    private static VolumeInfo volume(String field, String name, VolumeService volumes) {
        if (volumes == null) {
            throw new UnsupportedFeatureException(field + " names volume " + name
                    + ", but no volume service is running (install the volumes bundle)");
        }
        return volumes.get(name).orElseThrow(() -> new io.msb.api.NotFoundException("volume", name));
    }
}
