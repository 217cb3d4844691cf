package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether KVM really runs a stock guest here. Some hosts expose a {@code /dev/kvm} that cannot (a
 * PVM-style KVM fails on the first MSR write or with "emulation failure"), so a tiny boot is the only
 * reliable test: the kernel, no initramfs, a root that does not exist; a working KVM reaches the "VFS:
 * Unable to mount root" panic and QEMU exits 0 (panic=-1, -no-reboot). Results are cached per QEMU binary
 * and kernel identity (path, size, modification time).
 */
final class AccelProbe {
    private static final long TIMEOUT_SECONDS = 60;

    static final Path KVM = Path.of("/dev/kvm");

    private AccelProbe() {
    }

    /** The cached verdict or a fresh probe; {@code why} receives the reason when KVM is unusable. */
    static synchronized boolean kvmUsable(String qemu, Path kernel, Path cacheFile, StringBuilder why) {
        Optional<String> device = deviceProblem(KVM);
        if (device.isPresent()) {
            why.append(device.get());
            return false;
        }
        Properties cache = load(cacheFile);
        String key = identity(qemu, kernel);
        if (!cache.containsKey(key)) {
            cache.setProperty(key, probe(qemu, kernel));
            store(cache, cacheFile);
        }
        Optional<String> failed = failure(cache, key, cacheFile);
        failed.ifPresent(why::append);
        return failed.isEmpty();
    }

    /**
     * Why KVM is unusable as far as is known without probing: the device, else the verdict cached for this QEMU and
     * {@code kernel} (null: none located yet). Empty when KVM works or no probe ran yet.
     */
    static Optional<String> knownProblem(Path device, String qemu, Path kernel, Path cacheFile) {
        Optional<String> problem = deviceProblem(device);
        return problem.isPresent() || kernel == null ? problem
                : failure(load(cacheFile), identity(qemu, kernel), cacheFile);
    }

    static Optional<String> deviceProblem(Path device) {
        if (!Files.exists(device)) {
            return Optional.of(device + " does not exist (no hardware virtualisation on this host)");
        }
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            return Optional.of(device + " is not readable and writable by this user (add it to the kvm group)");
        }
        return Optional.empty();
    }

    private static Optional<String> failure(Properties cache, String key, Path cacheFile) {
        String verdict = cache.getProperty(key);
        return verdict == null || verdict.equals("ok") ? Optional.empty()
                : Optional.of(verdict + " (cached in " + cacheFile + ")");
    }

    static String identity(String qemu, Path kernel) {
        StringBuilder id = new StringBuilder();
        for (Path p : List.of(resolveBinary(qemu), kernel)) {
            try {
                Path real = p.toRealPath();
                id.append(real).append('|').append(Files.size(real)).append('|')
                        .append(Files.getLastModifiedTime(real).toMillis()).append('|');
            } catch (IOException e) {
                id.append(p).append("|?|");
            }
        }
        return Initramfs.sha256(id.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String probe(String qemu, Path kernel) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("msb-kvm-probe");
            Path log = dir.resolve("console.log");
            List<String> cmd = new ArrayList<>(List.of(qemu, "-M", "microvm,x-option-roms=off", "-nodefaults",
                    "-no-user-config", "-display", "none", "-no-reboot", "-sandbox", "on", "-smp", "1", "-m", "128M"));
            cmd.addAll(Accel.KVM.qemuArgs());
            cmd.addAll(List.of("-kernel", kernel.toString(), "-append",
                    "console=ttyS0 reboot=t panic=-1 root=/dev/msb-no-such-root", // as QemuCommand (decision 1923)
                    "-chardev", "file,id=console,path=" + QemuCommand.opt(log.toString()), "-serial", "chardev:console"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu.log").toFile()).start();
            boolean exited = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly().waitFor();
                return "a KVM test boot did not finish within " + TIMEOUT_SECONDS + " s";
            }
            List<String> console = LogTail.lastLines(log, 200);
            boolean panicked = console.stream().anyMatch(l -> l.contains("Kernel panic"));
            if (p.exitValue() == 0 && panicked) {
                return "ok";
            }
            List<String> err = LogTail.lastLines(dir.resolve("qemu.log"), 3);
            return "a KVM test boot failed (QEMU exit " + p.exitValue() + "): "
                    + (err.isEmpty() ? "no kernel panic reached" : String.join(" | ", err));
        } catch (IOException e) {
            return "a KVM test boot could not run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "a KVM test boot was interrupted";
        } finally {
            deleteTree(dir);
        }
    }

    static Path resolveBinary(String name) {
        if (name.contains("/")) {
            return Path.of(name);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of(name);
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException | IllegalArgumentException e) {
                // A damaged cache only costs a new probe.
                p.clear();
            }
        }
        return p;
    }

    private static void store(Properties p, Path file) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".accel", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "KVM probe verdicts by QEMU binary + kernel identity");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temp directory is harmless.
        }
    }
}
