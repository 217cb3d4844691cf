package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.MsbException;

/** The cpio writer against GNU cpio, and the initramfs layout agentd relies on (decision 0802). */
class InitramfsTest {
    @TempDir
    Path tmp;

    @Test
    void gnuCpioExtractsWhatTheWriterWrote() throws Exception {
        assumeTrue(TestGuest.onPath("cpio"), "cpio is not installed (apt-get install cpio)");
        byte[] data = "odd-sized payload!".getBytes(StandardCharsets.US_ASCII); // 18 bytes: exercises padding
        byte[] archive = new Cpio().directory("d", 0755).file("d/f", 0640, data).file("x", 0755, new byte[0])
                .finish();
        Path a = tmp.resolve("a.cpio");
        Files.write(a, archive);
        Path out = Files.createDirectory(tmp.resolve("out"));
        Process p = new ProcessBuilder("cpio", "-idm", "--quiet", "-F", a.toString()).directory(out.toFile())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "cpio failed: " + log);
        assertArrayEquals(data, Files.readAllBytes(out.resolve("d/f")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("d/f"))));
        assertEquals(0, Files.size(out.resolve("x")));
        assertEquals(List.of("d", "d/f", "x"), cpioList(a));
    }

    @Test
    void theSameInputsFindTheirArchiveWithoutRebuildingAndAStaleReferenceIsRebuilt() throws Exception {
        Path cache = tmp.resolve("cache");
        byte[] init = "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII);
        Path built = Initramfs.build(init, null, List.of(), cache);
        Path ref = cache.resolve("inputs").resolve(Initramfs.inputKey(init, null, List.of()));
        assertEquals(built.getFileName().toString(), Files.readString(ref));
        // the reference is what a new backend instance follows: it names the archive, whatever that holds
        Files.write(built, "reused, not rebuilt".getBytes(StandardCharsets.US_ASCII));
        assertEquals(built, Initramfs.build(init, null, List.of(), cache));
        assertEquals("reused, not rebuilt", Files.readString(built));

        byte[] other = "#!/bin/sh\nexit 1\n".getBytes(StandardCharsets.US_ASCII);
        Path otherBuilt = Initramfs.build(other, null, List.of(), cache);
        assertTrue(!otherBuilt.equals(built), "another init program, another archive");

        Files.delete(built); // e.g. a cleaned cache: the reference is stale, the archive is built again
        assertEquals(built, Initramfs.build(init, null, List.of(), cache));
        assertEquals(Initramfs.sha256(Files.readAllBytes(built)) + ".cpio", built.getFileName().toString());

        Files.writeString(ref, "../../etc/passwd"); // not an archive name: ignored, rebuilt, rewritten
        assertEquals(built, Initramfs.build(init, null, List.of(), cache));
        assertEquals(built.getFileName().toString(), Files.readString(ref));
    }

    @Test
    void initramfsCarriesInitModulesAndALoadListInDependencyOrder() throws Exception {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        KernelModules modules = KernelModules.open(k.modulesDir());
        byte[] init = "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII);
        Path cache = tmp.resolve("cache");
        Path built = Initramfs.build(init, k.modulesDir(), Initramfs.GUEST_MODULES, cache);
        assertEquals(built, Initramfs.build(init, k.modulesDir(), Initramfs.GUEST_MODULES, cache), "not cached");
        assertEquals(Initramfs.sha256(Files.readAllBytes(built)) + ".cpio", built.getFileName().toString());

        List<Entry> entries = parse(Files.readAllBytes(built));
        assertArrayEquals(init, entry(entries, "init").data);
        assertEquals(0100755, entry(entries, "init").mode);
        assertEquals(0020600, entry(entries, "dev/console").mode);
        String list = new String(entry(entries, Initramfs.LOAD_LIST).data, StandardCharsets.US_ASCII);
        List<String> load = Arrays.stream(list.split("\n")).filter(l -> !l.isEmpty()).toList();
        for (String want : List.of("virtio_mmio", "virtio_console", "virtio_blk", "overlay", "erofs", "virtio",
                "virtio_ring", "virtio_balloon")) {
            assertTrue(load.contains(want + ".ko"), want + " missing from " + load);
        }
        List<String> groups = Arrays.asList(list.split("\n\n"));
        assertTrue(groups.size() > 1, "the filesystems share nothing with the virtio drivers: " + groups);
        assertEquals(load.size(), new java.util.HashSet<>(load).size(), "a module in two groups: " + list);
        for (String g : groups) {
            List<String> group = Arrays.asList(g.strip().split("\n"));
            for (int i = 0; i < group.size(); i++) {
                String name = group.get(i).replace(".ko", "");
                byte[] ko = entry(entries, "lib/modules/" + group.get(i)).data;
                // Each packed module is the real ELF file, and its own dependencies load before it, in its group.
                for (String dep : KernelModules.modinfo(ko).getOrDefault("depends", "").split(",")) {
                    if (!dep.isEmpty() && !modules.isBuiltin(dep)) {
                        assertTrue(group.subList(0, i).contains(dep + ".ko"), dep + " must precede " + name
                                + " in its group: " + list);
                    }
                }
            }
        }
        if (TestGuest.onPath("cpio")) {
            List<String> names = cpioList(built);
            assertTrue(names.contains("lib/modules/virtio_console.ko") && names.contains("init"), names.toString());
        }
    }

    /** Decision 1202: the 9p modules (from extra/, outside modules.dep) go to 9p.list, after their dependencies. */
    @Test
    void shareModulesComeInAListOfTheirOwn() throws Exception {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null && Files.isDirectory(k.modulesDir().resolve(KernelModules.EXTRA + "/9p")),
                "the kernel has no 9p modules (native/guest/fetch-kernel.sh builds them)");
        byte[] init = "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII);
        List<Entry> entries = parse(Initramfs.archive(init, KernelModules.open(k.modulesDir()), Initramfs.GUEST_MODULES,
                Initramfs.SHARE_MODULES));
        String load = new String(entry(entries, Initramfs.LOAD_LIST).data, StandardCharsets.US_ASCII);
        List<String> later = Arrays.stream(new String(entry(entries, Initramfs.SHARE_LOAD_LIST).data,
                StandardCharsets.US_ASCII).split("\n")).toList();
        assertTrue(later.indexOf("9pnet.ko") >= 0 && later.indexOf("9pnet.ko") < later.indexOf("9p.ko")
                && later.indexOf("9pnet.ko") < later.indexOf("9pnet_virtio.ko") && later.contains("netfs.ko"), later.toString());
        for (String m : later) {
            assertFalse(load.contains(m), m + " is loaded at every boot: " + load);
            assertTrue(entry(entries, "lib/modules/" + m).data.length > 0, m);
        }
        assertThrows(AssertionError.class, () -> entry(parse(Initramfs.archive(init,
                KernelModules.open(k.modulesDir()), Initramfs.GUEST_MODULES)), Initramfs.SHARE_LOAD_LIST));
    }

    @Test
    void anEmptyInitIsRefused() {
        assertThrows(MsbException.class, () -> Initramfs.archive(new byte[0], null, List.of()));
    }

    private static List<String> cpioList(Path archive) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("cpio", "-t", "--quiet", "-F", archive.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0);
        return out.lines().toList();
    }

    record Entry(String name, int mode, byte[] data) {
    }

    private static Entry entry(List<Entry> entries, String name) {
        return entries.stream().filter(e -> e.name.equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in the archive"));
    }

    /** An independent newc reader (the test must not trust the writer's own notion of the format). */
    static List<Entry> parse(byte[] a) {
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            String magic = new String(a, pos, 6, StandardCharsets.US_ASCII);
            assertEquals("070701", magic, "magic at " + pos);
            int mode = hex(a, pos + 6 + 8);
            int size = hex(a, pos + 6 + 6 * 8);
            int nameSize = hex(a, pos + 6 + 11 * 8);
            String name = new String(a, pos + 110, nameSize - 1, StandardCharsets.UTF_8);
            assertEquals(0, a[pos + 110 + nameSize - 1], "name of " + name + " not NUL-terminated");
            int data = align(pos + 110 + nameSize);
            if (name.equals("TRAILER!!!")) {
                return out;
            }
            out.add(new Entry(name, mode, Arrays.copyOfRange(a, data, data + size)));
            pos = align(data + size);
        }
    }

    private static int hex(byte[] a, int off) {
        return Integer.parseUnsignedInt(new String(a, off, 8, StandardCharsets.US_ASCII), 16);
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }
}
