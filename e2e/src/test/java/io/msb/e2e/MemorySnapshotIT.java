package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Resumable snapshots of real VMs (decisions 1245-1249): a sandbox whose shell holds a variable and runs a background
 * counter is captured while it runs; the source runs on; three sandboxes branched from the snapshot each run the same
 * counter process on from where it stood, with the variable, under their own names, hostnames and addresses, and
 * what one writes the others do not see.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class MemorySnapshotIT {
    /**
     * A shell that keeps a variable only in its memory and counts into a file, detached from the exec session; each
     * count replaces the file whole (rename), so a read never sees it empty or half written.
     */
    private static final String COUNTER = "setsid sh -c 'kept=$((6 * 7)); i=0; while :; do i=$((i + 1));"
            + " echo \"$kept $i $$\" > /tmp/counter.new && mv /tmp/counter.new /tmp/counter; sleep 0.2; done'"
            + " </dev/null >/dev/null 2>&1 &";

    /** {@code [kept, count, pid]} of the counter, read twice: it must have moved on in between. */
    private static String[] counting(SandboxHandle box) throws InterruptedException {
        String[] first = sh(box, "cat /tmp/counter").stdoutText().trim().split(" ");
        String[][] later = new String[1][];
        Platform.await(box.name() + "'s counter to move on", () -> {
            later[0] = sh(box, "cat /tmp/counter").stdoutText().trim().split(" ");
            return later[0].length == 3 && Long.parseLong(later[0][1]) > Long.parseLong(first[1]);
        });
        assertEquals(first[2], later[0][2], "the same counter process");
        return later[0];
    }

    @Test
    void branchesOfARunningSandboxRunOnWithItsProcessesUnderTheirOwnIdentity(Platform platform) throws Exception {
        assumeTrue(platform.networked(), "needs io.msb.network running in the platform");
        SnapshotService snapshots = platform.snapshots();
        SandboxHandle source = platform.runtime().create(SandboxSpec.builder("e2e-mem-src").image(Platform.IMAGE)
                .env("FROM_SOURCE", "yes").networkPolicy(NetworkPolicy.defaults()).replace(true).build());
        List<String> branches = List.of("e2e-mem-b1", "e2e-mem-b2", "e2e-mem-b3");
        try {
            assertTrue(sh(source, COUNTER).exit().success());
            Platform.await("the counter to start", () -> sh(source, "cat /tmp/counter 2>/dev/null").exit().success());
            String[] before = counting(source);

            SnapshotInfo snap = snapshots.createResumable("e2e-mem", "e2e-mem-src", Map.of("purpose", "e2e"), true);
            assertTrue(snap.resumable());
            assertEquals(snap, snapshots.verify("e2e-mem"));
            assertEquals(SandboxStatus.RUNNING, platform.runtime().get("e2e-mem-src").orElseThrow().status(),
                    "a running source runs on after its capture");
            assertEquals(before[2], counting(source)[2], "the source's counter runs on");

            InvalidConfigException otherMachine = assertThrows(InvalidConfigException.class, () -> platform.runtime()
                    .create(SandboxSpec.builder("e2e-mem-bad").fromSnapshot("e2e-mem").cpus(2).build()));
            assertEquals("cpus", otherMachine.field());

            List<SandboxInfo> made = snapshots.branch("e2e-mem", branches);
            assertEquals(branches, made.stream().map(SandboxInfo::name).toList());
            Set<String> addresses = new HashSet<>(List.of(source.info().addresses().orElseThrow().ipv4()));
            List<SandboxHandle> boxes = new ArrayList<>();
            for (String name : branches) {
                SandboxHandle box = platform.runtime().handle(name);
                boxes.add(box);
                String[] now = counting(box);
                assertEquals("42", now[0], name + ": the shell's variable survived");
                assertEquals(before[2], now[2], name + ": the source's counter process, restored");
                assertEquals(name + "\n", sh(box, "hostname").stdoutText(), name + ": its own hostname");
                assertEquals("yes\n", sh(box, "echo $FROM_SOURCE").stdoutText(), "the source's env");
                String address = box.info().addresses().orElseThrow().ipv4();
                assertTrue(addresses.add(address), name + ": an address of its own, got " + address);
                String guest = sh(box, "ip -4 addr show dev eth0").stdoutText();
                assertTrue(guest.contains("inet " + address.replaceFirst("/.*", "") + "/"), name + ": " + guest);
                String gateway = box.info().addresses().orElseThrow().gateway();
                var ping = sh(box, "ping -c 1 -W 10 " + gateway);
                assertTrue(ping.exit().success(), name + ": its network stack answers at " + gateway + ": "
                        + ping.stdoutText() + ping.stderrText());
                assertTrue(sh(box, "echo " + name + " > /tmp/who").exit().success());
            }
            for (SandboxHandle box : boxes) {
                assertEquals(box.name() + "\n", sh(box, "cat /tmp/who").stdoutText(), "branches share no disk");
            }
            assertNotEquals(sh(boxes.get(0), "head -c 16 /dev/urandom | od -An -tx1").stdoutText(),
                    sh(boxes.get(1), "head -c 16 /dev/urandom | od -An -tx1").stdoutText(), "each its own random seed");
        } finally {
            for (String name : branches) {
                platform.runtime().remove(name, true);
            }
            platform.runtime().remove("e2e-mem-src", true);
            snapshots.get("e2e-mem").ifPresent(s -> snapshots.remove("e2e-mem"));
        }
    }
}
