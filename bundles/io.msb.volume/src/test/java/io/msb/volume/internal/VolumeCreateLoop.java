package io.msb.volume.internal;

import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;
import java.util.Map;

/**
 * The process {@link VolumeCrashTest} kills: creates volumes for ever in the home given as the first argument,
 * alternating directory and disk volumes (writing a file into some), and prints {@code creating vN} and
 * {@code created vN} around each create; {@code failed} after a stack trace if anything throws.
 */
public final class VolumeCreateLoop {
    private VolumeCreateLoop() {
    }

    public static void main(String[] args) {
        Path home = Path.of(args[0]);
        int first = Integer.parseInt(args[1]);
        EmbeddedMsb msb = EmbeddedMsb.builder(home).bundles("io.msb.store")
                .configure("io.msb.store", Map.of("maxConnections", 2)).start();
        LocalVolumeService volumes = new LocalVolumeService(msb.service(VolumeStore.class), home.resolve("volumes"),
                "mkfs.ext4", 1024, () -> null);
        System.out.println("ready");
        try {
            loop(volumes, first);
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.out.println("failed");
            System.exit(2);
        }
    }

    private static void loop(LocalVolumeService volumes, int first) {
        for (int i = first; ; i++) {
            String name = "v" + i;
            System.out.println("creating " + name);
            volumes.create(i % 2 == 0 ? VolumeSpec.directory(name) : new VolumeSpec(name, VolumeKind.DISK, null, 8,
                    Map.of()));
            System.out.println("created " + name);
            if (i % 6 == 0) { // a directory volume
                volumes.files(name).write("/f", new byte[] {1, 2, 3});
            }
        }
    }
}
