package io.msb.runtime.internal;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for QEMU in the runtime's unit tests: each "VM" is a real host process (by default {@code sleep})
 * that is really signalled, so the lifecycle's process handling is exercised for real. Booting real VMs is
 * covered by the end-to-end tests of the QEMU backend.
 */
final class ProcessVmmBackendForTests implements VmmBackend {
    final List<VmSpec> started = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    private final List<String> command;

    ProcessVmmBackendForTests(String... command) {
        this.command = command.length == 0 ? List.of("sleep", "1000") : List.of(command);
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public VmHandle start(VmSpec spec) {
        try {
            Process process = new ProcessBuilder(command).start();
            started.add(spec);
            processes.add(process);
            return new Handle(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return Optional.empty();
    }

    void destroyAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private record Handle(Process process) implements VmHandle {
        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public Path agentChannel() {
            return null;
        }

        @Override
        public boolean alive() {
            return process.isAlive();
        }

        @Override
        public void terminate(Duration grace) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void kill() {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public OptionalInt waitFor(Duration timeout) throws InterruptedException {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
        }
    }
}
