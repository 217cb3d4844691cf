package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.msb.api.BootFailedException;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;

/**
 * Boots Debian's cloud kernel under real QEMU (TCG where KVM cannot run a guest) with an initramfs built by
 * the backend around the test /init. Waits are bounded only to turn a hang into a failure, never to measure.
 */
class QemuVmmBootTest {
    private static final Duration GUARD = Duration.ofMinutes(3);
    private static QemuVmm vmm;
    private static Path initramfs;

    @BeforeAll
    static void setUp() throws Exception {
        vmm = TestGuest.vmm();
        initramfs = vmm.initramfs(TestGuest.testInit());
    }

    @AfterAll
    static void tearDown() {
        TestGuest.cleanup();
    }

    @Test
    void guestTalksOverTheAgentPortAndPowersOff() throws Exception {
        VmSpec spec = TestGuest.spec("agent-port", initramfs, "agent", false);
        VmHandle vm = vmm.start(spec);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vm.agentChannel()))) {
            String hello = readLine(ch, vm);
            assertTrue(hello.startsWith("hello from " + release()), "guest said: " + hello);
            ch.write(ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII)));
            OptionalInt status = vm.waitFor(GUARD);
            assertEquals(OptionalInt.of(0), status, () -> "QEMU exit after guest power-off; console: "
                    + vm.consoleTail(20));
        }
        assertTrue(vm.consoleTail(50).contains("msbtest: got bye"), () -> "console: " + vm.consoleTail(50));
        assertFalse(vm.alive());
        // Gone process, gone sockets and state: nothing stale is left for the next start.
        assertFalse(Files.exists(spec.stateDir().resolve("vm.sock")));
        assertFalse(Files.exists(spec.stateDir().resolve("vm.properties")));
        assertTrue(Files.exists(spec.stateDir().resolve("logs/kernel.log")));
    }

    @Test
    void defaultInitramfsBootsAgentdWhichSaysReady() throws Exception {
        assumeTrue(QemuVmm.class.getClassLoader().getResource(QemuVmm.AGENTD_RESOURCE) != null,
                "io.msb:agentd (resource " + QemuVmm.AGENTD_RESOURCE + ") is not on the test class path");
        VmSpec s = TestGuest.spec("agentd", null, "unused", false);
        VmHandle vm = vmm.start(new VmSpec(s.sandboxName(), s.stateDir(), null, null, List.of(), List.of(), 1, 256,
                false, null));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vm.agentChannel()))) {
            // Frame: [len u32 BE][id u32 BE][flags u8][CBOR {v,t,p}]; the first one must be core.ready.
            ByteBuffer header = readExactly(ch, vm, 4);
            int len = header.getInt(0);
            assertTrue(len >= 5 && len <= 4 << 20, "frame length " + len);
            byte[] body = readExactly(ch, vm, len).array();
            assertTrue(new String(body, StandardCharsets.ISO_8859_1).contains("core.ready"),
                    () -> "first frame is not core.ready; console: " + vm.consoleTail(30));
        } finally {
            vm.kill();
        }
        assertFalse(vm.alive());
    }

    /**
     * A 200 KiB bootstrap (random bytes: this init does not parse it) reaches the guest as /msb/bootstrap.cbor,
     * intact, while no process's command line carries it, the private initramfs is gone, and QEMU runs without
     * root (when this test runs as root, QEMU switches to msb-qemu).
     */
    @Test
    void bootstrapReachesTheGuestThroughTheInitramfsOnly() throws Exception {
        byte[] bootstrap = new byte[200 * 1024];
        new SecureRandom().nextBytes(bootstrap);
        String arg = BootstrapArchive.ARGUMENT + Base64.getUrlEncoder().withoutPadding().encodeToString(bootstrap);
        VmSpec s = TestGuest.spec("bootstrap", initramfs, "bootstrap", false);
        VmSpec spec = new VmSpec(s.sandboxName(), s.stateDir(), null, initramfs, List.of("msbtest=bootstrap", arg),
                List.of(), 1, 256, false, null);
        VmHandle vm = vmm.start(spec);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vm.agentChannel()))) {
            String header = bootstrap.length + "\n";
            assertEquals(header, new String(readExactly(ch, vm, header.length()).array(), StandardCharsets.US_ASCII));
            assertArrayEquals(bootstrap, readExactly(ch, vm, bootstrap.length).array());

            assertFalse(Files.exists(spec.stateDir().resolve("initramfs.cpio")), "the private initramfs stayed");
            String piece = arg.substring(BootstrapArchive.ARGUMENT.length(), BootstrapArchive.ARGUMENT.length() + 64);
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    String cmdline;
                    try {
                        cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.ISO_8859_1);
                    } catch (IOException gone) {
                        continue;
                    }
                    // Any argument of our VM, but only ours: agentd's test_vm boots with a harmless one on purpose.
                    boolean ours = cmdline.contains(spec.stateDir().toString());
                    assertFalse(cmdline.contains(piece) || ours && cmdline.contains("msb.bootstrap"), p + ": " + cmdline);
                }
            }
            if (((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0) {
                List<String> status = Files.readAllLines(Path.of("/proc/" + vm.pid() + "/status"));
                assertTrue(status.stream().anyMatch(l -> l.matches("Uid:\\s+[1-9]\\d*\\s.*")), () -> "QEMU " + status);
                assertTrue(status.contains("CapEff:\t0000000000000000"), () -> "QEMU " + status);
            }
            ch.write(ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(OptionalInt.of(0), vm.waitFor(GUARD), () -> "console: " + vm.consoleTail(20));
        } finally {
            vm.kill();
        }
    }

    @Test
    void kernelPanicEndsTheVmAndTheConsoleTellsWhy() throws Exception {
        VmHandle vm = vmm.start(TestGuest.spec("panic", initramfs, "panic", false));
        assertTrue(vm.waitFor(GUARD).isPresent(), "QEMU did not exit after the guest panicked");
        // The whole log: the panic line comes before a call trace whose length varies (stale "?" frames).
        List<String> tail = vm.consoleTail(400);
        assertTrue(tail.stream().anyMatch(l -> l.contains("Kernel panic") && l.contains("Attempted to kill init")),
                () -> "console: " + tail);
    }

    @Test
    void qemuFailingAtStartupIsABootFailureThatLeavesNothingBehind() throws Exception {
        Path bogusKernel = TestGuest.tempDir().resolve("not-a-kernel.img");
        Files.writeString(bogusKernel, "not a kernel");
        VmSpec good = TestGuest.spec("bad-kernel", initramfs, "poweroff", false);
        VmSpec spec = new VmSpec(good.sandboxName(), good.stateDir(), bogusKernel, initramfs, good.kernelArgs(),
                List.of(), 1, 256, false, null);
        BootFailedException e = assertThrows(BootFailedException.class, () -> vmm.start(spec));
        assertEquals(BootFailedException.Stage.VMM_START, e.stage());
        assertTrue(e.getMessage().contains("QEMU exited"), e.getMessage());
        for (String f : List.of("vm.sock", "qmp.sock", "vm.properties")) {
            assertFalse(Files.exists(spec.stateDir().resolve(f)), f + " left behind");
        }
    }

    @Test
    void terminateAndKillEndTheProcess() throws Exception {
        VmHandle a = vmm.start(TestGuest.spec("terminate", initramfs, "sleep", false));
        VmHandle b = vmm.start(TestGuest.spec("kill", initramfs, "sleep", false));
        assertTrue(a.alive() && b.alive());
        a.terminate(Duration.ofSeconds(30));
        b.kill();
        assertFalse(a.alive());
        assertFalse(b.alive());
        assertTrue(ProcessHandle.of(b.pid()).filter(ProcessHandle::isAlive)
                .flatMap(h -> ProcStat.read(h.pid())).filter(ProcStat::running).isEmpty());
    }

    /** QMP stop/cont, and paused() as query-status says, also through a handle reattached by pid (decision 1220). */
    @Test
    void pauseAndResumeAreWhatTheMonitorReports() throws Exception {
        VmSpec spec = TestGuest.spec("pause", initramfs, "sleep", false);
        VmHandle vm = vmm.start(spec);
        try {
            assertFalse(vm.paused());
            vm.pause();
            vm.pause(); // idempotent, as QMP's stop is
            assertTrue(vm.paused());
            assertTrue(vmm.reattach("pause", vm.pid(), spec.stateDir()).orElseThrow().paused());
            vm.resume();
            assertFalse(vm.paused());
            assertTrue(vm.alive());
        } finally {
            vm.kill();
        }
        assertThrows(io.msb.api.MsbException.class, vm::pause, "a gone QEMU cannot be paused");
    }

    @Test
    void detachedVmOutlivesItsOwnerAndAttachedOneDiesWithIt() throws Exception {
        Path attachedDir = TestGuest.tempDir();
        Path detachedDir = TestGuest.tempDir();
        GuestKernel k = TestGuest.kernel();
        Process owner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), VmOwnerMain.class.getName(),
                TestGuest.HOME.toString(), k.image().toString(), initramfs.toString(), vmm.accel().name(),
                attachedDir.toString(), detachedDir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String[] pids;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(owner.getInputStream(),
                StandardCharsets.US_ASCII))) {
            String line = r.readLine();
            if (line == null) {
                fail("the owner JVM exited with " + owner.waitFor() + " before starting its VMs");
            }
            pids = line.trim().split(" ");
        }
        long attachedPid = Long.parseLong(pids[0]);
        long detachedPid = Long.parseLong(pids[1]);
        VmHandle attached = vmm.reattach("owner-attached", attachedPid, attachedDir).orElseThrow();
        assertTrue(attached.alive());

        owner.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook runs

        assertTrue(attached.waitFor(GUARD).isEmpty() && !attached.alive(), "the attached VM outlived its owner");
        Optional<VmHandle> detached = vmm.reattach("owner-detached", detachedPid, detachedDir);
        assertTrue(detached.isPresent() && detached.get().alive(), "the detached VM died with its owner");
        assertTrue(vmm.reattach("owner-detached", detachedPid + 1, detachedDir).isEmpty(), "wrong pid accepted");
        assertTrue(vmm.reattach("someone-else", detachedPid, detachedDir).isEmpty(), "wrong sandbox accepted");
        assertTrue(Files.exists(detached.get().agentChannel()));
        detached.get().kill();
        assertFalse(detached.get().alive());
        assertTrue(vmm.reattach("owner-detached", detachedPid, detachedDir).isEmpty());
    }

    /**
     * Decision 1245: a VM whose guest waits for the host's line is saved (paused, its writable disk reopened through
     * the launcher's descriptors, as it must be when QEMU runs as msb-qemu), killed, and restored from the file into
     * another directory with a copy of its disk; the restored guest stands paused, then reads the line the new host
     * sends and powers off, as the saved one would have.
     */
    @Test
    void aSavedVmRestoresElsewhereAndRunsOn() throws Exception {
        VmSpec base = TestGuest.spec("saved", initramfs, "agent", false);
        Path disk = Files.write(base.stateDir().resolve("upper.img"), new byte[1 << 20]);
        VmSpec spec = withDisk(base, base.stateDir(), disk);
        VmHandle vm = vmm.start(spec);
        Path state = TestGuest.tempDir().resolve("vm.state");
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vm.agentChannel()))) {
            assertTrue(readLine(ch, vm).startsWith("hello from "), () -> "console: " + vm.consoleTail(20));
            assertTrue(vm.saveState(state) > 0);
            assertTrue(vm.paused(), "a saved VM stays paused");
        } finally {
            vm.kill();
        }
        Path dir = TestGuest.tempDir();
        VmSpec copy = withDisk(base, dir, Files.copy(disk, dir.resolve("upper.img")));
        VmHandle restored = vmm.restore(copy, state);
        try {
            assertTrue(restored.paused(), "a restored VM stands where the saved one stood");
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(restored.agentChannel()))) {
                restored.resume();
                ch.write(ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII)));
                assertEquals(OptionalInt.of(0), restored.waitFor(GUARD), () -> "console: " + restored.consoleTail(20));
            }
            assertTrue(restored.consoleTail(20).contains("msbtest: got bye"), () -> "console: "
                    + restored.consoleTail(20));
        } finally {
            if (restored.alive()) {
                restored.kill();
            }
        }
    }

    private static VmSpec withDisk(VmSpec s, Path stateDir, Path disk) {
        return new VmSpec(s.sandboxName(), stateDir, s.kernel(), s.initramfs(), s.kernelArgs(),
                List.of(new VmSpec.Disk(disk, false, "raw")), s.cpus(), s.memoryMib(), s.detached(), null);
    }

    private static String release() {
        String image = TestGuest.kernel().image().getFileName().toString();
        return image.substring("vmlinuz-".length());
    }

    /** Exactly n bytes from the guest, guarded against a hang like {@link #readLine}. */
    private static ByteBuffer readExactly(SocketChannel ch, VmHandle vm, int n) throws IOException {
        ch.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(n);
        long deadline = System.nanoTime() + GUARD.toNanos();
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            while (buf.hasRemaining() && System.nanoTime() < deadline && vm.alive()) {
                sel.select(200);
                if (ch.read(buf) < 0) {
                    break;
                }
            }
        }
        if (buf.hasRemaining()) {
            fail("guest sent " + buf.position() + " of " + n + " bytes; console: " + vm.consoleTail(30));
        }
        ch.configureBlocking(true);
        return buf;
    }

    /** One line from the guest, bounded in size and (as a hang guard) in time. */
    private static String readLine(SocketChannel ch, VmHandle vm) throws IOException {
        ch.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(512);
        long deadline = System.nanoTime() + GUARD.toNanos();
        String line = null;
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            while (line == null && System.nanoTime() < deadline && vm.alive()) {
                sel.select(200);
                if (ch.read(buf) < 0) {
                    break;
                }
                for (int i = 0; i < buf.position() && line == null; i++) {
                    if (buf.get(i) == '\n') {
                        line = new String(buf.array(), 0, i, StandardCharsets.UTF_8);
                    }
                }
                if (line == null && !buf.hasRemaining()) {
                    fail("guest line longer than 512 bytes");
                }
            }
        }
        if (line == null) {
            fail("no line from the guest; console: " + vm.consoleTail(30));
        }
        ch.configureBlocking(true);
        return line;
    }
}
