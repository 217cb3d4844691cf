package io.msb.vmm.libkrun.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;

/**
 * The libkrun contract (issue 17): the backend starts the real krun-launcher against libkrun-recording-fake.so for a
 * representative sandbox (2 vCPUs, 512 MiB, root + upper disks, kernel, the agent as /init, a bootstrap, kernel
 * arguments, the agent port, the console), and the fake's record must be exactly the expected call sequence. The
 * fake then plays a guest that echoes the agent port, through which the relay, a reconnect, the console tail,
 * reattach and terminate are checked.
 */
class LibkrunContractTest {
    @TempDir
    Path tmp;

    private LibkrunVmm backend(Path record) throws Exception {
        Files.writeString(tmp.resolve("vmlinux"), "kernel");
        Files.writeString(tmp.resolve("agentd"), "#!fake-agentd\n");
        return new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                RecordingFake.library().toString(), tmp.resolve("vmlinux"), "elf", tmp.resolve("agentd"),
                tmp.resolve("home"), 1, RecordingFake.environment(record, "echo")));
    }

    private VmSpec representative(byte[] bootstrap) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sb"));
        Path root = Files.createFile(tmp.resolve("root.ext4"));
        Path upper = Files.createFile(tmp.resolve("upper.ext4"));
        return new VmSpec("box", dir, null, null,
                List.of("msb.bootstrap=" + Base64.getUrlEncoder().withoutPadding().encodeToString(bootstrap),
                        "loglevel=4"),
                List.of(new VmSpec.Disk(root, true, "raw"), new VmSpec.Disk(upper, false, "raw")), 2, 512, false,
                null, List.of(), List.of());
    }

    @Test
    void representativeSandboxMakesExactlyTheExpectedLibkrunCalls() throws Exception {
        Path record = tmp.resolve("calls.log");
        LibkrunVmm backend = backend(record);
        byte[] bootstrap = {(byte) 0xa1, 'd', 'n', 'a', 'm', 'e', 'c', 'b', 'o', 'x'};
        VmSpec spec = representative(bootstrap);
        VmHandle vm = backend.start(spec);
        try {
            assertEquals("ping", echo(vm.agentChannel(), "ping"));
            String expected = """
                    krun_set_log_level level=1
                    krun_create_ctx -> 7
                    krun_set_vm_config ctx=7 vcpus=2 ram_mib=512
                    krun_set_kernel ctx=7 kernel=%1$s/vmlinux format=1 initramfs=<memfd> init:100755:14:%2$s \
                    msb:40700:0:811c9dc5 msb/bootstrap.cbor:100600:10:%3$s cmdline=console=hvc0 reboot=k panic=-1 \
                    quiet loglevel=4
                    krun_add_disk2 ctx=7 id=msb-disk0 path=%1$s/root.ext4 format=0 read_only=1
                    krun_add_disk2 ctx=7 id=msb-disk1 path=%1$s/upper.ext4 format=0 read_only=0
                    krun_disable_implicit_vsock ctx=7
                    krun_set_console_output ctx=7 path=<pipe>
                    krun_add_virtio_console_multiport ctx=7 -> 0
                    krun_add_console_port_inout ctx=7 console=0 name=agent input=<pipe> output=<pipe>
                    krun_set_env ctx=7 envp=[]
                    krun_start_enter ctx=7
                    """.formatted(tmp, RecordingFake.fnv1a("#!fake-agentd\n".getBytes(StandardCharsets.UTF_8)),
                    RecordingFake.fnv1a(bootstrap));
            assertEquals(expected, Files.readString(record));
            assertFalse(Files.exists(spec.stateDir().resolve("bootstrap.cbor")), "the bootstrap (secrets) stays on disk");
        } finally {
            vm.kill();
        }
    }

    @Test
    void relayReconnectsConsoleTailReattachAndTerminate() throws Exception {
        LibkrunVmm backend = backend(tmp.resolve("calls.log"));
        VmSpec spec = representative(new byte[] {1});
        VmHandle vm = backend.start(spec);
        try {
            for (int i = 0; i < 3; i++) { // one client at a time; the next connects as after a server restart
                assertEquals("hello " + i, echo(vm.agentChannel(), "hello " + i));
            }
            // the launcher's console thread copies the guest's output to the log on its own schedule
            for (long end = System.nanoTime() + 30_000_000_000L; vm.consoleTail(10).isEmpty()
                    && System.nanoTime() < end;) {
                Thread.sleep(10);
            }
            assertEquals(List.of("fake console"), vm.consoleTail(10));
            VmHandle again = backend.reattach("box", vm.pid(), spec.stateDir()).orElseThrow();
            assertEquals(vm.pid(), again.pid());
            assertTrue(backend.find("box", spec.stateDir()).isPresent());
            assertTrue(backend.reattach("box", vm.pid() + 1, spec.stateDir()).isEmpty());
            assertTrue(backend.find("other", spec.stateDir()).isEmpty());
            again.terminate(Duration.ofSeconds(30));
            assertFalse(vm.alive());
            vm.waitFor(Duration.ofSeconds(30));
            assertTrue(backend.find("box", spec.stateDir()).isEmpty());
            assertFalse(Files.exists(spec.stateDir().resolve("vm.properties")));
        } finally {
            if (vm.alive()) {
                vm.kill();
            }
        }
    }

    @Test
    void detachedVmOutlivesItsLifetimePipe() throws Exception {
        LibkrunVmm backend = backend(tmp.resolve("calls.log"));
        VmSpec spec = representative(new byte[] {1});
        LibkrunVmHandle vm = (LibkrunVmHandle) backend.start(spec);
        vm.detach();
        assertEquals("still here", echo(vm.agentChannel(), "still here")); // detach closed the lifetime pipe
        vm.terminate(Duration.ofSeconds(30));
        assertFalse(vm.alive());
    }

    /** One client session on the agent channel: sends a line and reads back as many bytes. */
    private static String echo(Path socket, String text) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(ch);
            InputStream in = Channels.newInputStream(ch);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            out.write(bytes);
            return new String(in.readNBytes(bytes.length), StandardCharsets.UTF_8);
        }
    }

    /**
     * libkrun may refuse the configuration in krun_start_enter, after the launcher said "started": the start then
     * fails or the VM ends at once, and either way the launcher's reason reaches the boot failure report.
     */
    @Test
    void libkrunRefusingTheVmIsExplainedInTheConsoleTail() throws Exception {
        Files.writeString(tmp.resolve("vmlinux"), "kernel");
        Files.writeString(tmp.resolve("agentd"), "#!fake-agentd\n");
        LibkrunVmm backend = new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                RecordingFake.library().toString(), tmp.resolve("vmlinux"), "elf", tmp.resolve("agentd"),
                tmp.resolve("home"), 1, RecordingFake.environment(tmp.resolve("calls.log"), "fail")));
        String reason = "krun-launcher: krun_start_enter failed: Invalid argument";
        VmHandle vm;
        try {
            vm = backend.start(representative(new byte[] {1}));
        } catch (io.msb.api.BootFailedException e) {
            assertTrue(e.getMessage().contains(reason.substring("krun-launcher: ".length())), e.getMessage());
            return;
        }
        assertEquals(java.util.OptionalInt.of(5), vm.waitFor(Duration.ofSeconds(30)));
        assertEquals(List.of(reason), vm.consoleTail(10));
    }

    @Test
    void launcherFailureIsABootFailureNamingIt() throws Exception {
        LibkrunVmm backend = new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                RecordingFake.library().toString(), Files.writeString(tmp.resolve("vmlinux"), "k"), "elf",
                tmp.resolve("missing-agentd"), tmp.resolve("home"), 1,
                RecordingFake.environment(tmp.resolve("calls.log"), "echo")));
        io.msb.api.BootFailedException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.msb.api.BootFailedException.class, () -> backend.start(representative(new byte[] {1})));
        assertTrue(e.getMessage().contains("--agent " + tmp.resolve("missing-agentd") + ": cannot read a regular file"),
                e.getMessage());
        assertTrue(backend.find("box", tmp.resolve("sb")).isEmpty());
        assertTrue(Files.notExists(tmp.resolve("sb/bootstrap.cbor")));
    }
}
