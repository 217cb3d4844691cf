package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.InvalidConfigException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.spi.VmmCapabilities.Feature;

class QemuCommandTest {
    @TempDir
    Path tmp;

    private VmSpec spec(List<String> args, List<VmSpec.Disk> disks, int cpus, int mem, NetworkAttachment net) {
        return new VmSpec("box", tmp, Path.of("/k"), Path.of("/i"), args, disks, cpus, mem, false, net);
    }

    @Test
    void commandLineIsMicrovmWithVirtioMmioOnly() throws Exception {
        Path root = Files.createFile(tmp.resolve("root,1.erofs"));
        Path upper = Files.createFile(tmp.resolve("upper.ext4"));
        VmSpec s = spec(List.of("foo=bar"), List.of(new VmSpec.Disk(root, true, "raw"),
                new VmSpec.Disk(upper, false, "raw")), 2, 512, null);
        QemuCommand.validate(s);
        List<String> a = QemuCommand.build("qemu", s, Path.of("/k"), Path.of("/i"), Accel.TCG,
                List.of("tsc_early_khz=1"), null);
        String line = String.join(" ", a);
        assertTrue(line.startsWith("qemu -name box -M microvm,"), line);
        for (String part : List.of("-nodefaults", "-no-user-config", "-no-reboot", "-smp 2",
                "-sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny,elevateprivileges=deny",
                "-m 512M", "-accel tcg,thread=multi,tb-size=" + Accel.TCG_TB_MIB + " -cpu max,erms=off,fsrm=off", "-kernel /k",
                "-initrd /i", "microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=off,pic=off,memory-backend=microvm.ram",
                "-object memory-backend-memfd,id=microvm.ram,size=512M",
                "-device virtio-balloon-device,free-page-reporting=on",
                "virtserialport,chardev=agent,name=agent", "path=" + tmp.resolve("vm.sock") + ",server=on,wait=off",
                "-mon chardev=qmp,mode=control", "file,id=console,path=" + tmp.resolve("console.fifo"),
                "file=" + tmp.resolve("root,,1.erofs") + ",format=raw,readonly=on",
                "virtio-blk-device,drive=disk1,serial=msb-disk1")) {
            assertTrue(line.contains(part), "missing " + part + " in " + line);
        }
        assertFalse(line.contains("upper.ext4,format=raw,readonly"), "upper disk must be writable");
        // decision 1246: the writable upper through the launcher's descriptors 6 (read-only) and 7 (read-write)
        assertTrue(line.contains("-add-fd fd=6,set=1 -add-fd fd=7,set=1 -drive id=disk1,if=none,file=/dev/fdset/1,"
                + "format=raw,file.locking=off"), line);
        assertEquals(List.of(new QemuCommand.Inherited(6, false, s.disks().get(1).path()),
                new QemuCommand.Inherited(7, true, s.disks().get(1).path())), QemuCommand.inherited(s, null));
        assertFalse(line.contains("-incoming"), "a boot restores nothing");
        assertFalse(line.contains("-netdev"), "no network unless attached");
        assertFalse(line.contains("-runas"), "no user switch unless asked");
        assertFalse(line.contains("pci"), "virtio-mmio only");
        String append = a.get(a.indexOf("-append") + 1);
        assertTrue(append.startsWith("console=ttyS0 ") && append.endsWith(" tsc_early_khz=1 foo=bar"), append);
        assertTrue(append.contains(" nokaslr tsc=reliable "), append);
    }

    /** Decision 1201: a share is a local fsdev (security model none) on virtio-9p; a mount disk carries its serial. */
    @Test
    void sharesAndMountDisks() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("pro,ject"));
        Path img = Files.createFile(tmp.resolve("data.img"));
        VmSpec s = new VmSpec("box", tmp, Path.of("/k"), Path.of("/i"), List.of(), List.of(), 1, 256, false, null,
                List.of(new VmSpec.Share("msb0", dir, true), new VmSpec.Share("msb1", tmp, false)),
                List.of(new VmSpec.Disk(img, false, "qcow2")));
        QemuCommand.validate(s);
        String line = String.join(" ", QemuCommand.build("qemu", s, Path.of("/k"), null, Accel.TCG, List.of(), null));
        for (String part : List.of("-fsdev local,id=fs0,path=" + tmp.resolve("pro,,ject")
                + ",security_model=none,multidevs=remap,readonly=on -device virtio-9p-device,fsdev=fs0,mount_tag=msb0",
                "-fsdev local,id=fs1,path=" + tmp + ",security_model=none,multidevs=remap -device",
                "file=" + img + ",format=qcow2 -device virtio-blk-device,drive=mnt0,serial=msb-mnt0")) {
            assertTrue(line.contains(part), "missing " + part + " in " + line);
        }
        assertField("shares[1].tag", new VmSpec("box", tmp, null, null, List.of(), List.of(), 1, 256, false, null,
                List.of(new VmSpec.Share("msb0", dir, true), new VmSpec.Share("msb0", tmp, false)), List.of()));
        assertField("shares[0].tag", new VmSpec("box", tmp, null, null, List.of(), List.of(), 1, 256, false, null,
                List.of(new VmSpec.Share("a,b", dir, true)), List.of()));
        assertField("shares[0].path", new VmSpec("box", tmp, null, null, List.of(), List.of(), 1, 256, false, null,
                List.of(new VmSpec.Share("msb0", img, true)), List.of()));
        assertField("mountDisks[0].path", new VmSpec("box", tmp, null, null, List.of(), List.of(), 1, 256, false, null,
                List.of(), List.of(new VmSpec.Disk(dir, false, "raw"))));
    }

    @Test
    void streamNetworkBecomesVirtioNet() {
        VmSpec s = spec(List.of(), List.of(), 1, 256, new NetworkAttachment("stream",
                Map.of("path", "/run/net.sock", "mac", "02:00:00:00:00:01")));
        String line = String.join(" ", QemuCommand.build("qemu", s, Path.of("/k"), null, Accel.KVM, List.of(),
                null));
        assertTrue(line.contains("-netdev stream,id=net0,server=on,addr.type=unix,addr.path=/run/net.sock"), line);
        assertTrue(line.contains("virtio-net-device,netdev=net0,mac=02:00:00:00:00:01"), line);
        assertTrue(line.contains("-accel kvm -cpu host"), line);
        assertFalse(line.contains("-initrd"));
    }

    @Test
    void declaresItsLimitsAndAcceleration() {
        VmmCapabilities tcg = new QemuVmm(QemuVmm.Settings.defaults(tmp).withAccel("tcg")).capabilities();
        assertEquals(1, tcg.minCpus());
        assertEquals(255, tcg.maxCpus());
        assertEquals(64, tcg.minMemoryMib());
        assertEquals(1 << 20, tcg.maxMemoryMib());
        assertEquals(Set.of(Feature.TCG, Feature.NETWORK, Feature.VOLUMES, Feature.SNAPSHOTS), tcg.features());
        assertEquals(Set.of(Feature.KVM, Feature.TCG, Feature.NETWORK, Feature.VOLUMES, Feature.SNAPSHOTS),
                new QemuVmm(QemuVmm.Settings.defaults(tmp)).capabilities().features());
    }

    @Test
    void badSpecsNameTheFieldAndTheRule() throws Exception {
        assertField("kernelArgs[1]", spec(List.of("ok", "has space"), List.of(), 1, 256, null));
        assertField("kernelArgs", spec(List.of("x".repeat(3000)), List.of(), 1, 256, null));
        assertField("disks[0].format", spec(List.of(), List.of(new VmSpec.Disk(tmp, true, "vmdk")), 1, 256, null));
        assertField("disks[0].path", spec(List.of(), List.of(new VmSpec.Disk(tmp.resolve("nope"), true, "raw")), 1,
                256, null));
        assertField("network.parameters.path", spec(List.of(), List.of(), 1, 256,
                new NetworkAttachment("stream", Map.of())));
        assertField("network.parameters.mac", spec(List.of(), List.of(), 1, 256,
                new NetworkAttachment("stream", Map.of("path", "/n", "mac", "zz"))));
        assertField("network.parameters.path", spec(List.of(), List.of(), 1, 256,
                new NetworkAttachment("stream", Map.of("path", "/" + "n".repeat(107)))));
        assertThrows(UnsupportedFeatureException.class, () -> QemuCommand.validate(spec(List.of(), List.of(), 1, 256,
                new NetworkAttachment("tap", Map.of()))));
        Path deep = tmp.resolve("d".repeat(100));
        assertField("stateDir", new VmSpec("box", deep, null, null, List.of(), List.of(), 1, 256, false, null));
        assertField("stateDir", new VmSpec("box", Path.of("rel"), null, null, List.of(), List.of(), 1, 256, false,
                null));
        assertField("sandboxName", new VmSpec(" ", tmp, null, null, List.of(), List.of(), 1, 256, false, null));
    }

    @Test
    void theBootstrapIsOnNoCommandLine() {
        String secret = "SECRET_TOKEN=" + "s3cr3t".repeat(40_000); // ~240 KB: far beyond any command line
        String bootstrap = BootstrapArchive.ARGUMENT
                + Base64.getUrlEncoder().withoutPadding().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
        VmSpec s = spec(List.of("foo=bar", bootstrap), List.of(), 1, 256, null);
        QemuCommand.validate(s);
        List<String> a = QemuCommand.build("qemu", s, Path.of("/k"), Path.of("/i"), Accel.TCG, List.of(), null);
        String line = String.join(" ", a);
        assertFalse(line.contains("msb.bootstrap") || line.contains(bootstrap.substring(20, 60)), "bootstrap leaked");
        assertTrue(a.get(a.indexOf("-append") + 1).endsWith(" foo=bar"), line);
        assertTrue(line.length() < 2000, "command line of " + line.length() + " bytes");
        assertEquals(secret, new String(BootstrapArchive.find(s.kernelArgs()), StandardCharsets.UTF_8));
    }

    @Test
    void badBootstrapsNameTheArgument() {
        assertField("kernelArgs[1]", spec(List.of("a=b", "msb.bootstrap=not*base64"), List.of(), 1, 256, null));
        assertField("kernelArgs[0]", spec(List.of("msb.bootstrap="), List.of(), 1, 256, null));
        assertField("kernelArgs[1]", spec(List.of("msb.bootstrap=oWE", "msb.bootstrap=oWE"), List.of(), 1, 256,
                null));
        String tooBig = "msb.bootstrap=" + "A".repeat(BootstrapArchive.MAX_BYTES / 3 * 4 + 8);
        assertField("kernelArgs[0]", spec(List.of(tooBig), List.of(), 1, 256, null));
        String atTheLimit = "msb.bootstrap=" + "A".repeat(BootstrapArchive.MAX_BYTES / 3 * 4);
        QemuCommand.validate(spec(List.of(atTheLimit), List.of(), 1, 256, null));
    }

    @Test
    void droppingToAUserKeepsTheOtherSeccompRules() {
        VmSpec s = spec(List.of(), List.of(), 1, 256, null);
        String line = String.join(" ", QemuCommand.build("qemu", s, Path.of("/k"), null, Accel.TCG, List.of(),
                "msb-qemu"));
        assertTrue(line.contains("-runas msb-qemu"), line);
        assertTrue(line.contains("-sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny,elevateprivileges=allow"),
                line);
    }

    @Test
    void runAsMustBeAUserName() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> QemuVmm.Settings.defaults(tmp).withRunAs("root,x"));
        assertEquals("runAs", e.field(), e.getMessage());
        assertEquals("", QemuVmm.Settings.defaults(tmp).withRunAs(" ").runAs());
        assertEquals("msb-qemu", QemuVmm.Settings.defaults(tmp).runAs());
    }

    private static void assertField(String field, VmSpec s) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> QemuCommand.validate(s));
        assertEquals(field, e.field(), e.getMessage());
    }

    @Test
    void accelValuesAreCheckedByName() {
        assertEquals(Accel.TCG, Accel.parse("accel", " TCG "));
        assertEquals(Accel.AUTO, Accel.parse("accel", ""));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Accel.parse("accel", "hvf"));
        assertTrue(e.getMessage().contains("accel") && e.getMessage().contains("auto, kvm or tcg"), e.getMessage());
    }
}
