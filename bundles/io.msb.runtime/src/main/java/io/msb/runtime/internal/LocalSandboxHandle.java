package io.msb.runtime.internal;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.TcpStream;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.SandboxFs;
import java.time.Duration;

/** A handle on a local sandbox; lifecycle calls go back to the backend, guest calls to the agent channel. */
final class LocalSandboxHandle implements SandboxHandle {
    private final SandboxLifecycle lifecycle;
    private final String name;

    LocalSandboxHandle(SandboxLifecycle lifecycle, String name) {
        this.lifecycle = lifecycle;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SandboxInfo info() {
        return lifecycle.get(name).orElseThrow(() -> new io.msb.api.NotFoundException("sandbox", name));
    }

    @Override
    public ExecResult exec(ExecOptions options) {
        throw noAgentChannel();
    }

    @Override
    public ExecSession execStream(ExecOptions options, ExecListener listener) {
        throw noAgentChannel();
    }

    @Override
    public SandboxFs fs() {
        throw noAgentChannel();
    }

    @Override
    public TcpStream connect(String host, int port) {
        throw noAgentChannel();
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

    private UnsupportedFeatureException noAgentChannel() {
        return new UnsupportedFeatureException("sandbox " + name + ": guest operations need the agent channel, "
                + "which this build of the runtime does not connect yet");
    }
}
