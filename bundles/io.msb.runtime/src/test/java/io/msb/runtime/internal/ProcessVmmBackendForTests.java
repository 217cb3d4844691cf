package io.msb.runtime.internal;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for QEMU in the runtime's unit tests: each "VM" is the real guest agent running as a host process
 * ({@code agentd --listen <stateDir>/vm.sock}), so boot, relay, exec, fs and shutdown run for real without a
 * kernel. Booting real VMs is covered by the QEMU backend's tests and the end-to-end profile.
 */
public final class ProcessVmmBackendForTests implements VmmBackend {
    public static final Path AGENTD = Path.of(System.getProperty("msb.agentd", "../../native/agentd/target/agentd"));

    final List<VmSpec> started = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    private final List<String> command;

    /** VMs that are agentd processes, or, given a command, some other program (e.g. one that cannot boot). */
    public ProcessVmmBackendForTests(String... command) {
        this.command = command.length == 0 ? null : List.of(command);
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
        Path socket = spec.stateDir().resolve("vm.sock");
        try {
            Files.deleteIfExists(socket);
            Process process = new ProcessBuilder(command != null ? command
                    : List.of(AGENTD.toString(), "--listen", socket.toString())).redirectErrorStream(true)
                    .redirectOutput(spec.stateDir().resolve("logs/kernel.log").toFile()).start();
            started.add(spec);
            processes.add(process);
            awaitListening(socket, process);
            return new Handle(process, socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Like QEMU's chardev, the socket must accept before start returns (agentd binds, then listens). */
    private static void awaitListening(Path socket, Process process) throws InterruptedException {
        for (int i = 0; i < 1000 && process.isAlive(); i++) {
            try (var probe = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                probe.connect(java.net.UnixDomainSocketAddress.of(socket));
                return;
            } catch (IOException notYet) {
                Thread.sleep(10);
            }
        }
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return processes.stream().filter(p -> p.pid() == pid && p.isAlive()).findFirst()
                .map(p -> new Handle(p, stateDir.resolve("vm.sock")));
    }

    public void destroyAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private record Handle(Process process, Path agentChannel) implements VmHandle {
        @Override
        public long pid() {
            return process.pid();
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
