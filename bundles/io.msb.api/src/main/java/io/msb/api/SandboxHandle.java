package io.msb.api;

import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.SandboxFs;
import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/** A sandbox to act on. Obtaining a handle does not start anything. */
@ProviderType
public interface SandboxHandle {
    String name();

    /** Current, reconciled information. */
    SandboxInfo info();

    /** Runs a command and collects its output. */
    ExecResult exec(ExecOptions options);

    /** Starts a command and streams its events to {@code listener}. */
    ExecSession execStream(ExecOptions options, ExecListener listener);

    SandboxFs fs();

    /** CPU time and memory of the running VM, and its network's traffic. */
    SandboxMetrics metrics();

    /**
     * The guest's processes, read from its {@code /proc} through the agent's file service (no program in the image
     * is needed), in pid order.
     *
     * @throws UnsupportedFeatureException the backend cannot list them
     * @since 2.3
     */
    default java.util.List<GuestProcess> processes() {
        throw new UnsupportedFeatureException("this sandbox backend cannot list guest processes");
    }

    /** Opens a TCP connection to {@code host:port} as seen from inside the guest. */
    TcpStream connect(String host, int port);

    void stop(Duration grace);

    void kill();

    void drain();

    /** {@link SandboxService#pause}. */
    default SandboxInfo pause() {
        throw new UnsupportedFeatureException("this sandbox backend cannot pause sandboxes");
    }

    /** {@link SandboxService#resume}. */
    default SandboxInfo resume() {
        throw new UnsupportedFeatureException("this sandbox backend cannot resume sandboxes");
    }
}
