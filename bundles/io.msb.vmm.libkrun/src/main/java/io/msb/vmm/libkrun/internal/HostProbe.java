package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Whether libkrun can run VMs here, as {@code krun-launcher --probe} finds it (decision 1745): it dlopens libkrun
 * and checks /dev/kvm, and says in one line what is missing ({@code libkrun.so.1 not found: ...}, {@code KVM not
 * usable: /dev/kvm: ...}). The verdict is kept, so {@link io.msb.api.spi.VmmBackend#available()} stays cheap; an
 * unavailable verdict is asked again after {@link #RETRY_NANOS}, so installing libkrun needs no restart.
 */
final class HostProbe {
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_MESSAGE = 1024;

    private final Supplier<Path> launcher;
    private final String libkrun;
    private final Map<String, String> environment;
    private Optional<String> verdict;
    private long probedAt;

    /** @param launcher the launcher binary, found (or extracted) at the first probe */
    HostProbe(Supplier<Path> launcher, String libkrun, Map<String, String> environment) {
        this.launcher = launcher;
        this.libkrun = libkrun;
        this.environment = environment;
    }

    HostProbe(Path launcher, String libkrun, Map<String, String> environment) {
        this(() -> launcher, libkrun, environment);
    }

    /** Empty when libkrun and KVM are usable, else why not. */
    synchronized Optional<String> unavailableReason() {
        if (verdict == null || (verdict.isPresent() && System.nanoTime() - probedAt > RETRY_NANOS)) {
            verdict = run();
            probedAt = System.nanoTime();
        }
        return verdict;
    }

    private Optional<String> run() {
        String command;
        try {
            command = launcher.get().toString();
        } catch (RuntimeException e) {
            return Optional.of("no libkrun launcher: " + e.getMessage());
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command, "--probe", "--libkrun", libkrun).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(environment);
            Process p = pb.start();
            String message;
            try (InputStream err = p.getErrorStream()) {
                message = new String(err.readNBytes(MAX_MESSAGE), StandardCharsets.UTF_8).strip();
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of("krun-launcher --probe did not finish within 30 s");
            }
            if (p.exitValue() == 0) {
                return Optional.empty();
            }
            return Optional.of(message.isEmpty() ? "krun-launcher --probe failed with status " + p.exitValue()
                    : message.lines().findFirst().orElse(message));
        } catch (IOException e) {
            return Optional.of("cannot run the libkrun launcher " + command + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing libkrun");
        }
    }
}
