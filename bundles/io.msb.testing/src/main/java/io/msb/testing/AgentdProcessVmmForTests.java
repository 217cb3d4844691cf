package io.msb.testing;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for QEMU where a test is about something else (runtime, shell, HTTP): each "VM" is the real guest agent
 * running as a host process ({@code agentd --listen <stateDir>/vm.sock}, the socket QEMU's chardev would serve), so
 * boot, relay, exec, fs and shutdown run for real without a kernel. Real VMs are covered by the QEMU backend's
 * tests and the end-to-end profile.
 */
public final class AgentdProcessVmmForTests implements VmmBackend {
    /** The agentd the build made: system property {@code msb.agentd}, else its place seen from a bundle module. */
    public static final Path AGENTD = Path.of(System.getProperty("msb.agentd", "../../native/agentd/target/agentd"));

    private final String name;
    private final Path agentd;
    /** What runs instead of agentd, or null. */
    private final List<String> command;
    private final List<VmSpec> started = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Map<Long, VmSpec> specOfPid = new ConcurrentHashMap<>();

    /** Named {@code qemu}, so a runtime that prefers the QEMU backend picks it; VMs are {@link #AGENTD}. */
    public AgentdProcessVmmForTests() {
        this("qemu", AGENTD);
    }

    public AgentdProcessVmmForTests(String name, Path agentd) {
        this(name, null, agentd);
    }

    private AgentdProcessVmmForTests(String name, List<String> command, Path agentd) {
        this.name = name;
        this.command = command;
        this.agentd = agentd;
    }

    /** A backend whose "VMs" run {@code command} instead of agentd, e.g. one that cannot boot. */
    public static AgentdProcessVmmForTests running(String... command) {
        return new AgentdProcessVmmForTests("qemu", List.of(command), null);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean available() {
        return true;
    }

    /** The specs of every VM started, in order. */
    public List<VmSpec> started() {
        return List.copyOf(started);
    }

    /** The process of every VM started, in order. */
    public List<Process> processes() {
        return List.copyOf(processes);
    }

    public void destroyAll() {
        processes.forEach(Process::destroyForcibly);
    }

    /**
     * The QEMU backend's limits, so that a runtime checks specs as it would for real VMs, and NETWORK: it takes a
     * network attachment as QEMU does (its guest, a host process, has no use for it); no other features.
     */
    @Override
    public VmmCapabilities capabilities() {
        return new VmmCapabilities(1, 255, 64, 1 << 20, Set.of(VmmCapabilities.Feature.NETWORK));
    }

    @Override
    public VmHandle start(VmSpec spec) {
        Path socket = spec.stateDir().resolve("vm.sock");
        try {
            Files.deleteIfExists(socket);
            Process process = new ProcessBuilder(command != null ? command
                    : List.of(agentd.toString(), "--listen", socket.toString())).redirectErrorStream(true)
                    .redirectOutput(spec.stateDir().resolve("logs/kernel.log").toFile()).start();
            started.add(spec);
            processes.add(process);
            specOfPid.put(process.pid(), spec);
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
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(socket));
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

    /** Like QEMU's state file: the live VM last started for that sandbox in that directory. */
    @Override
    public Optional<VmHandle> find(String sandboxName, Path stateDir) {
        return processes.stream().filter(Process::isAlive).filter(p -> {
            VmSpec spec = specOfPid.get(p.pid());
            return spec.sandboxName().equals(sandboxName) && spec.stateDir().equals(stateDir);
        }).reduce((first, last) -> last).map(p -> new Handle(p, stateDir.resolve("vm.sock")));
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

        /** SIGSTOP stands in for QMP {@code stop}: the agent answers nothing until it is continued. */
        @Override
        public void pause() {
            signal("-STOP");
        }

        @Override
        public void resume() {
            signal("-CONT");
        }

        /** State {@code T} (stopped) in {@code /proc/<pid>/stat}, as QEMU's {@code query-status} says paused. */
        @Override
        public boolean paused() {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
            } catch (IOException e) {
                return false;
            }
        }

        private void signal(String signal) {
            try {
                Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).start();
                if (kill.waitFor() != 0) {
                    throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
