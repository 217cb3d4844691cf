package io.msb.runtime.internal;

import io.msb.api.GuestProcess;
import io.msb.api.NotFoundException;
import io.msb.api.RunInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.TcpStream;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.SandboxFs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A handle on a local sandbox; lifecycle calls go back to the runtime, guest calls to the agent. */
final class LocalSandboxHandle implements SandboxHandle {
    private final SandboxLifecycle lifecycle;
    private final String name;
    private final ExecLog log;

    LocalSandboxHandle(SandboxLifecycle lifecycle, String name, ExecLog log) {
        this.lifecycle = lifecycle;
        this.name = name;
        this.log = log;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SandboxInfo info() {
        return lifecycle.get(name).orElseThrow(() -> new NotFoundException("sandbox", name));
    }

    @Override
    public ExecResult exec(ExecOptions options) {
        ExecResult result = lifecycle.connection(name).agent().run(options);
        log.exited(options, Instant.now().minus(result.duration()), result.exit());
        lifecycle.tell(o -> o.execFinished(name, result.duration()));
        return result;
    }

    @Override
    public ExecSession execStream(ExecOptions options, ExecListener listener) {
        Instant started = Instant.now();
        ExecSession session = lifecycle.connection(name).agent().exec(options, listener);
        session.exit().whenComplete((exit, failure) -> {
            if (exit != null) {
                log.exited(options, started, exit);
                Duration took = Duration.between(started, Instant.now());
                lifecycle.tell(o -> o.execFinished(name, took));
            }
        });
        return session;
    }

    @Override
    public SandboxFs fs() {
        return lifecycle.connection(name).agent().fs();
    }

    @Override
    public SandboxMetrics metrics() {
        LiveVm vm = lifecycle.connection(name);
        SandboxInfo info = info();
        SandboxMetrics m = ProcMetrics.read(vm.vm().pid());
        Instant started = info.currentRun().map(RunInfo::startedAt).orElse(vm.limits().runStartedAt());
        Duration up = Duration.between(started, m.sampledAt());
        return lifecycle.cpuWindows().measure(name, m.withGuestMemory(GuestMemoryReader.read(vm.agent().fs()))
                .withNetwork(lifecycle.networkTraffic(name)).withDisk(GuestDiskReader.read(vm.agent().fs()))
                .withRun(info.spec().memoryMib() * 1024L * 1024, up.isNegative() ? Duration.ZERO : up));
    }

    @Override
    public List<GuestProcess> processes() {
        return GuestProcesses.read(lifecycle.connection(name).agent().fs());
    }

    @Override
    public TcpStream connect(String host, int port) {
        return lifecycle.connection(name).agent().connectTcp(host, port);
    }

    @Override
    public void stop(Duration grace) {
        lifecycle.stop(name, grace);
    }

    @Override
    public void kill() {
        lifecycle.kill(name);
    }

    @Override
    public void drain() {
        lifecycle.drain(name);
    }

    @Override
    public SandboxInfo pause() {
        return lifecycle.pause(name);
    }

    @Override
    public SandboxInfo resume() {
        return lifecycle.resume(name);
    }
}
