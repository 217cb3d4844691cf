package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.MsbException;

/** Module dependency closure on the real Debian cloud kernel, from .modinfo and from a depmod-made modules.dep. */
class KernelModulesTest {
    @TempDir
    Path tmp;

    @Test
    void modinfoAndModulesDepGiveTheSameClosure() throws Exception {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        assumeTrue(TestGuest.onPath("depmod") || Files.isExecutable(Path.of("/usr/sbin/depmod")),
                "depmod is not installed (apt-get install kmod)");
        List<String> fromModinfo = KernelModules.open(k.modulesDir()).loadOrder(Initramfs.GUEST_MODULES);

        // depmod writes next to the modules, so give it a private tree that links to the real files.
        String release = k.modulesDir().getFileName().toString();
        Path dir = Files.createDirectories(tmp.resolve("lib/modules").resolve(release));
        Files.createSymbolicLink(dir.resolve("kernel"), k.modulesDir().resolve("kernel"));
        for (String f : List.of("modules.builtin", "modules.order", "modules.builtin.modinfo")) {
            if (Files.exists(k.modulesDir().resolve(f))) {
                Files.copy(k.modulesDir().resolve(f), dir.resolve(f));
            }
        }
        Process p = new ProcessBuilder(Files.isExecutable(Path.of("/usr/sbin/depmod")) ? "/usr/sbin/depmod" : "depmod",
                "-b", tmp.toString(), release).inheritIO().start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "depmod failed");
        assertTrue(Files.exists(dir.resolve("modules.dep")));
        List<String> fromDep = KernelModules.open(dir).loadOrder(Initramfs.GUEST_MODULES);

        assertEquals(new HashSet<>(fromModinfo), new HashSet<>(fromDep));
        assertTrue(fromModinfo.containsAll(List.of("virtio", "virtio_ring", "virtio_mmio", "virtio_console",
                "virtio_blk", "overlay", "erofs")), fromModinfo.toString());
        assertTrue(fromModinfo.indexOf("virtio_ring") < fromModinfo.indexOf("virtio_mmio"));
        assertTrue(fromModinfo.indexOf("virtio") < fromModinfo.indexOf("virtio_blk"));
    }

    @Test
    void modulesThatShareNothingLoadInSeparateGroups() {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        KernelModules m = KernelModules.open(k.modulesDir());
        List<List<String>> groups = m.loadGroups(Initramfs.GUEST_MODULES);
        List<String> all = groups.stream().flatMap(List::stream).toList();
        assertEquals(new HashSet<>(m.loadOrder(Initramfs.GUEST_MODULES)), new HashSet<>(all));
        assertEquals(all.size(), new HashSet<>(all).size(), "a module in two groups: " + groups);
        List<String> first = groups.get(0);
        assertTrue(first.containsAll(List.of("virtio_ring", "virtio_mmio", "virtio_console", "virtio_blk")),
                "the virtio drivers share the virtio core, so they are one group: " + groups);
        assertTrue(groups.stream().anyMatch(g -> g.contains("overlay") && !g.contains("virtio")), groups.toString());
        assertEquals(List.of(), m.loadGroups(List.of("ext4")), "built in: nothing to load");
    }

    /** Debian's cloud kernel: virtio_net needs net_failover, which needs failover (decision 0830). */
    @Test
    void theNetworkDriverBringsItsFailoverDependencies() {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        KernelModules m = KernelModules.open(k.modulesDir());
        List<String> wanted = new java.util.ArrayList<>(Initramfs.GUEST_MODULES);
        wanted.addAll(Initramfs.NETWORK_MODULES);
        List<String> order = m.loadGroups(wanted).stream().flatMap(List::stream).toList();
        assertTrue(order.containsAll(List.of("failover", "net_failover", "virtio_net")), order.toString());
        assertTrue(order.indexOf("failover") < order.indexOf("net_failover")
                && order.indexOf("net_failover") < order.indexOf("virtio_net")
                && order.indexOf("virtio_ring") < order.indexOf("virtio_net"), order.toString());
        assertTrue(m.loadGroups(Initramfs.GUEST_MODULES).stream().flatMap(List::stream)
                .noneMatch(n -> n.contains("failover") || n.equals("virtio_net")), "only with a network");
    }

    @Test
    void builtinModulesAreSkippedAndUnknownOnesNamed() {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        KernelModules m = KernelModules.open(k.modulesDir());
        assertTrue(m.isBuiltin("ext4"), "Debian's cloud kernel builds ext4 in");
        assertEquals(List.of(), m.loadOrder(List.of("ext4")));
        MsbException e = assertThrows(MsbException.class, () -> m.loadOrder(List.of("no_such_module")));
        assertTrue(e.getMessage().contains("no_such_module"), e.getMessage());
    }

    @Test
    void modulesDepLinesParse() {
        var deps = KernelModules.parseModulesDep(List.of(
                "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
                "kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko",
                "kernel/fs/erofs/erofs.ko:"));
        assertEquals(List.of("virtio", "virtio_ring"), deps.get("virtio_blk"));
        assertEquals(List.of("virtio"), deps.get("virtio_rng"));
        assertEquals(List.of(), deps.get("erofs"));
    }

    @Test
    void malformedModulesAreRejected() {
        assertThrows(MsbException.class, () -> KernelModules.modinfo(new byte[10]));
        byte[] elf = new byte[64];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        elf[4] = 2;
        elf[5] = 1;
        elf[0x28] = (byte) 0xff; // section table far beyond the file
        elf[0x3A] = 64;
        elf[0x3C] = 1;
        MsbException e = assertThrows(MsbException.class, () -> KernelModules.modinfo(elf));
        assertTrue(e.getMessage().contains("section"), e.getMessage());
    }
}
