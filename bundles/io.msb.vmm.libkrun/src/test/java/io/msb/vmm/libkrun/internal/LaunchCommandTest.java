package io.msb.vmm.libkrun.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.InvalidConfigException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.VmSpec;

class LaunchCommandTest {
    @TempDir
    Path tmp;

    private VmSpec spec(List<String> args, List<VmSpec.Disk> disks, boolean detached, NetworkAttachment net,
            List<VmSpec.Share> shares, List<VmSpec.Disk> mounts) {
        return new VmSpec("box", tmp.resolve("sb"), null, null, args, disks, 2, 512, detached, net, shares, mounts);
    }

    private List<VmSpec.Disk> disks() throws Exception {
        return List.of(new VmSpec.Disk(Files.createFile(tmp.resolve("root.ext4")), true, "raw"),
                new VmSpec.Disk(Files.createFile(tmp.resolve("upper.qcow2")), false, "qcow2"));
    }

    @Test
    void buildsTheLauncherCommandLine() throws Exception {
        VmSpec spec = spec(List.of("msb.bootstrap=oWE", "loglevel=4"), disks(), true, null, List.of(), List.of());
        LaunchCommand.validate(spec);
        LaunchCommand.Host host = new LaunchCommand.Host("libkrun.so.1", Path.of("/k/vmlinux"), "elf",
                Path.of("/a/agentd"), 2);
        Path sb = tmp.resolve("sb");
        assertEquals(List.of("/l/krun-launcher", "--libkrun", "libkrun.so.1", "--log-level", "2", "--cpus", "2",
                "--memory", "512", "--kernel", "/k/vmlinux", "--kernel-format", "elf", "--agent", "/a/agentd",
                "--bootstrap", sb.resolve("bootstrap.cbor").toString(),
                "--cmdline", "console=hvc0 reboot=k panic=-1 quiet loglevel=4",
                "--disk", "msb-disk0,raw,ro," + tmp.resolve("root.ext4"),
                "--disk", "msb-disk1,qcow2,rw," + tmp.resolve("upper.qcow2"),
                "--agent-socket", sb.resolve("vm.sock").toString(),
                "--console-log", sb.resolve("logs/kernel.log").toString(), "--console-cap", "8388608",
                "--lifetime", "detached"),
                LaunchCommand.build(Path.of("/l/krun-launcher"), host, spec, true));
    }

    @Test
    void specKernelAndInitramfsWin() throws Exception {
        VmSpec spec = new VmSpec("box", tmp.resolve("sb"), Path.of("/own/kernel"), Path.of("/own/initrd"),
                List.of(), List.of(), 1, 64, false, null);
        List<String> argv = LaunchCommand.build(Path.of("/l"),
                new LaunchCommand.Host("libkrun.so.1", Path.of("/k"), "elf", null, 1), spec, false);
        assertEquals("/own/kernel", argv.get(argv.indexOf("--kernel") + 1));
        assertEquals("/own/initrd", argv.get(argv.indexOf("--initramfs") + 1));
        assertTrue(!argv.contains("--agent") && !argv.contains("--bootstrap") && argv.contains("attached"));
    }

    @Test
    void refusesWhatLibkrunCannotGiveByName() throws Exception {
        List<VmSpec.Disk> disks = disks();
        UnsupportedFeatureException net = assertThrows(UnsupportedFeatureException.class, () -> LaunchCommand
                .validate(spec(List.of(), disks, false, new NetworkAttachment("stream", Map.of("path", "/s")),
                        List.of(), List.of())));
        assertTrue(net.getMessage().contains("cannot attach a network"), net.getMessage());
        UnsupportedFeatureException share = assertThrows(UnsupportedFeatureException.class, () -> LaunchCommand
                .validate(spec(List.of(), disks, false, null, List.of(new VmSpec.Share("data", tmp, false)),
                        List.of())));
        assertTrue(share.getMessage().contains("cannot mount volumes"), share.getMessage());
        assertThrows(UnsupportedFeatureException.class, () -> LaunchCommand.validate(spec(List.of(), disks, false,
                null, List.of(), List.of(disks.get(0)))));
    }

    @Test
    void badInputNamesTheFieldAndTheRule() throws Exception {
        List<VmSpec.Disk> disks = disks();
        assertField("kernelArgs[0]", "must be non-empty printable ASCII without spaces",
                spec(List.of("a b"), disks, false, null, List.of(), List.of()));
        assertField("kernelArgs[1]", "is a second msb.bootstrap= argument; give one",
                spec(List.of("msb.bootstrap=oWE", "msb.bootstrap=oWE"), disks, false, null, List.of(), List.of()));
        assertField("kernelArgs[0]", "carries an empty bootstrap",
                spec(List.of("msb.bootstrap="), disks, false, null, List.of(), List.of()));
        assertField("disks[1].format", "must be raw or qcow2, is 'vmdk'", spec(List.of(), List.of(disks.get(0),
                new VmSpec.Disk(disks.get(1).path(), false, "vmdk")), false, null, List.of(), List.of()));
        assertField("disks[0].path", "is not an absolute path of a regular file: " + tmp.resolve("none"),
                spec(List.of(), List.of(new VmSpec.Disk(tmp.resolve("none"), true, "raw")), false, null, List.of(),
                        List.of()));
        assertField("kernelArgs", "make a kernel command line longer than 2031 bytes",
                spec(List.of("x=" + "y".repeat(2100)), disks, false, null, List.of(), List.of()));
        Path deep = tmp.resolve("d".repeat(120));
        assertField("stateDir", "is too long for a UNIX socket path", new VmSpec("box", deep, null, null, List.of(),
                disks, 1, 64, false, null));
        assertField("memoryMib", "must be from 64 to 1048576, is 32", new VmSpec("box", tmp, null, null, List.of(),
                disks, 1, 32, false, null));
    }

    private static void assertField(String field, String rule, VmSpec spec) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> LaunchCommand.validate(spec));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().contains(field + " " + rule), e.getMessage());
    }

    @Test
    void settingsRejectUnknownKernelFormat() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new LibkrunVmm.Settings(null,
                "libkrun.so.1", null, "bzimage", null, tmp, 1, Map.of()));
        assertEquals("kernelFormat", e.field());
    }
}
