package io.msb.volume.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeSpec;
import io.msb.testing.EmbeddedMsb;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a JVM creating volumes (directories and mkfs-formatted disk images), at a random moment, several times
 * on the same home: after each kill a new service lists exactly the volumes whose storage exists, every volume whose
 * create returned is there, nothing unrecorded is left under volumes/, and the name being created at the kill can be
 * created (or is there, complete).
 */
class VolumeCrashTest {
    private static final int ROUNDS = Integer.getInteger("crash.rounds", 3);

    @TempDir
    Path home;

    @Test
    void aKillDuringCreatesLeavesOnlyWholeVolumes() throws Exception {
        Set<String> acknowledged = new TreeSet<>();
        int next = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String inFlight = crashWhileCreating(next, acknowledged);
            try (EmbeddedMsb msb = EmbeddedMsb.builder(home).bundles("io.msb.store")
                    .configure("io.msb.store", Map.of("maxConnections", 2)).start()) {
                LocalVolumeService volumes = new LocalVolumeService(msb.service(VolumeStore.class),
                        home.resolve("volumes"), "mkfs.ext4", 1024, () -> null);
                Set<String> listed = new TreeSet<>();
                for (VolumeInfo v : volumes.list()) {
                    listed.add(v.name());
                    assertTrue(Files.exists(v.path()), "listed without storage: " + v.name() + " (round " + round + ")");
                }
                assertTrue(listed.containsAll(acknowledged), "acknowledged creates lost: " + acknowledged + " vs "
                        + listed);
                assertEquals(listed, entries(), "every entry under volumes/ is a listed volume (round " + round + ")");
                if (inFlight != null && !listed.contains(inFlight)) {
                    volumes.create(VolumeSpec.directory(inFlight)); // the interrupted name is free
                    acknowledged.add(inFlight);
                } else if (inFlight != null) {
                    acknowledged.add(inFlight);
                }
                next += 1000;
            }
        }
    }

    /** Starts the loop, kills it after a random number of creates; returns the name it was creating, if any. */
    private String crashWhileCreating(int first, Set<String> acknowledged) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), VolumeCreateLoop.class.getName(), home.toString(),
                Integer.toString(first)).redirectErrorStream(true).start();
        String inFlight = null;
        List<String> output = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            int creates = ThreadLocalRandom.current().nextInt(3, 12);
            for (String line; (line = out.readLine()) != null; ) {
                output.add(line);
                if (line.startsWith("creating ")) {
                    inFlight = line.substring("creating ".length());
                } else if (line.startsWith("created ")) {
                    acknowledged.add(inFlight);
                    inFlight = null;
                    if (--creates == 0) {
                        break;
                    }
                }
            }
            // at a random moment of the next create (a disk's mkfs takes tens of ms); what it printed after is lost,
            // so the name in flight may turn out complete
            Thread.sleep(ThreadLocalRandom.current().nextInt(0, 40));
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
        }
        assertFalse(output.contains("failed"), "the loop failed:\n" + String.join("\n", output));
        assertTrue(output.stream().anyMatch(l -> l.startsWith("created ")), "the loop created nothing: " + output);
        return inFlight;
    }

    private Set<String> entries() throws Exception {
        try (Stream<Path> s = Files.list(home.resolve("volumes"))) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
