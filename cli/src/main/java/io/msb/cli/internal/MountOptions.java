package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The mount options of {@code msb run} and {@code msb create} (read by {@link Mount#parseVolumeOption} and
 * {@link Mount#parseTmpfsOption}), sent as the create body's {@code mounts} in the SDK's shape (facts §2.3). Paths
 * are the server's, and the server checks them (decision 1200).
 */
final class MountOptions {
    @Option(names = {"-v", "--volume"}, paramLabel = "HOST|NAME:GUEST[:ro]",
        description = "Mount a host directory (an absolute path) or a named volume (a name) at GUEST; ro: read-only.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--tmpfs", paramLabel = "GUEST[:SIZE]",
        description = "Mount a tmpfs at GUEST of at most SIZE MiB, or with a unit: 64M, 1G (default: half the memory).")
    List<String> tmpfs = new ArrayList<>();

    /** The body's {@code mounts}, when an option asks for one; a malformed option fails before any request. */
    void addTo(ObjectNode spec) {
        if (volumes.isEmpty() && tmpfs.isEmpty()) {
            return;
        }
        ArrayNode mounts = spec.putArray("mounts");
        try {
            volumes.forEach(v -> body(mounts, Mount.parseVolumeOption(v)));
            tmpfs.forEach(t -> body(mounts, Mount.parseTmpfsOption(t)));
        } catch (InvalidConfigException e) {
            throw new CliException(e.detail());
        }
    }

    private static void body(ArrayNode mounts, Mount mount) {
        ObjectNode m = mounts.addObject();
        switch (mount.kind()) {
            case BIND -> m.put("type", "bind").put("host", mount.source());
            case VOLUME -> m.put("type", "named").put("name", mount.source());
            default -> m.put("type", "tmpfs");
        }
        m.put("guest", mount.guestPath());
        if (mount.sizeMib() > 0) {
            m.put("size_mib", mount.sizeMib());
        }
        m.putObject("options").put("readonly", mount.readOnly()).put("noexec", mount.noexec())
                .put("nosuid", mount.nosuid()).put("nodev", mount.nodev());
    }
}
