package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script with a stand-in for QEMU (a shell command), so its contract is checked without booting:
 * it reports the child's pid, caps the console log, kills an attached child when its owner's pipe closes, and a
 * detached one too unless the owner said {@code detach} first (decision 0812).
 */
class LauncherTest {
    @TempDir
    Path tmp;

    private Process launch(String mode, String fakeQemu, long cap, String... inherited) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", QemuVmm.LAUNCHER, "msb-vm", mode,
                tmp.resolve("console.fifo").toString(), tmp.resolve("kernel.log").toString(), Long.toString(cap),
                Integer.toString(inherited.length / 3)));
        cmd.addAll(List.of(inherited));
        cmd.addAll(List.of("sh", "-c", fakeQemu));
        return new ProcessBuilder(cmd).redirectError(tmp.resolve("err.log").toFile()).start();
    }

    /** Decision 1246: QEMU gets the files on the descriptors asked, read-only or read-write, quotes and all. */
    @Test
    void inheritedFilesAreOpenOnTheirDescriptors() throws Exception {
        Path in = Files.writeString(tmp.resolve("state \"$x\".bin"), "saved");
        Path disk = Files.writeString(tmp.resolve("disk"), "");
        Process p = launch("attached", "cat <&5 >&7; exec sleep 600", 1000, "5", "r", in.toString(), "7", "rw",
                disk.toString());
        long child = pid(p);
        try {
            for (int i = 0; i < 600 && read(disk).isEmpty(); i++) {
                Thread.sleep(50); // bounded wait for the child's copy, not a measured time
            }
            assertEquals("saved", read(disk));
        } finally {
            ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
            p.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFileThatCannotBeOpenedEndsTheLauncherBeforeQemuRuns() throws Exception {
        Process p = launch("attached", "echo ran >'" + tmp.resolve("ran") + "'", 1000, "9", "r",
                tmp.resolve("missing").toString());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        assertTrue(p.exitValue() != 0, "exit status " + p.exitValue());
        assertFalse(Files.exists(tmp.resolve("ran")), "QEMU's stand-in ran");
    }

    private static long pid(Process p) throws Exception {
        return Long.parseLong(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))
                .readLine().trim());
    }

    @Test
    void consoleOutputIsCappedAndTheStatusPassedOn() throws Exception {
        String fifo = tmp.resolve("console.fifo").toString();
        Process p = launch("attached", "head -c 100000 /dev/zero | tr '\\000' x >'" + fifo + "'; exit 7", 1000);
        assertTrue(pid(p) > 0);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        assertEquals(7, p.exitValue(), () -> "stderr: " + read(tmp.resolve("err.log")));
        assertEquals(1000, Files.size(tmp.resolve("kernel.log")));
        assertFalse(Files.exists(tmp.resolve("console.fifo")), "FIFO left behind");
    }

    /**
     * The last console bytes (a guest's "reboot: Power down") are in the log once the launcher has exited: the
     * runtime reads it then. The launcher waits for its console reader, which drains the FIFO after QEMU exits.
     */
    @Test
    void theLogIsCompleteWhenTheLauncherExits() throws Exception {
        String fifo = tmp.resolve("console.fifo").toString();
        for (int round = 0; round < 20; round++) {
            Files.deleteIfExists(tmp.resolve("kernel.log"));
            Process p = launch("attached", "exec 3>'" + fifo + "'; head -c 200000 /dev/zero | tr '\\000' x >&3;"
                    + " printf 'Power down\\n' >&3; exit 0", 1 << 20);
            pid(p);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
            String log = read(tmp.resolve("kernel.log"));
            assertEquals(200011, log.length(), "round " + round);
            assertTrue(log.endsWith("Power down\n"), "round " + round);
        }
    }

    @Test
    void consoleOutputReachesTheLogWhileTheVmRuns() throws Exception {
        String fifo = tmp.resolve("console.fifo").toString();
        Process p = launch("attached", "exec 3>'" + fifo + "'; printf 'booted\\n' >&3; exec sleep 600", 1000);
        long child = pid(p);
        try {
            for (int i = 0; i < 600 && !read(tmp.resolve("kernel.log")).equals("booted\n"); i++) {
                Thread.sleep(50); // bounded wait for the copy, not a measured time
            }
            assertEquals("booted\n", read(tmp.resolve("kernel.log")), "a short line, while the console stays open");
        } finally {
            ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
            p.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void attachedChildDiesWhenTheOwnerPipeCloses() throws Exception {
        Process p = launch("attached", "exec sleep 600", 1000);
        long child = pid(p);
        assertTrue(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false));
        p.getOutputStream().close(); // what the kernel does for a JVM that dies
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        assertEquals(137, p.exitValue(), "the child should have been SIGKILLed");
        assertTrue(ProcStat.read(child).filter(ProcStat::running).isEmpty());
        assertFalse(Files.exists(tmp.resolve("console.fifo")), "FIFO left behind (a QEMU that never opened it)");
    }

    /** A warm-pool VM (decision 1260): started attached, detached later, it outlives its owner's pipe. */
    @Test
    void attachedChildOutlivesItsOwnerOnceDetachedLater() throws Exception {
        Process p = launch("attached", "exec sleep 600", 1000);
        long child = pid(p);
        try {
            p.getOutputStream().write("detach\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            Thread.sleep(500); // gives a wrongly killing watcher its chance; the assertion below is not about time
            assertTrue(ProcStat.read(child).filter(ProcStat::running).isPresent(), "the child was killed");
        } finally {
            ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
            p.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void detachedChildOutlivesItsOwnerOnceDetached() throws Exception {
        Process p = launch("detached", "exec sleep 600", 1000);
        long child = pid(p);
        try (var pipe = p.getOutputStream()) {
            pipe.write("detach\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertFalse(p.waitFor(1, TimeUnit.SECONDS), "detached launcher ended with its stdin at EOF");
        assertTrue(ProcStat.read(child).filter(ProcStat::running).isPresent());
        ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue());
    }

    @Test
    void detachedChildDiesWithAnOwnerThatGoesBeforeDetaching() throws Exception {
        Process p = launch("detached", "exec sleep 600", 1000);
        long child = pid(p);
        p.getOutputStream().close(); // an owner killed during QEMU's startup, before vm.properties
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        assertEquals(137, p.exitValue(), "the child should have been SIGKILLed");
        assertTrue(ProcStat.read(child).filter(ProcStat::running).isEmpty());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
