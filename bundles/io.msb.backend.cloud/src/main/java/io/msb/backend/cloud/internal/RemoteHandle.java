package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.GuestProcess;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.TcpStream;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.SandboxFs;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A sandbox on the remote: every call is one request to its HTTP API (or a stream of one). */
final class RemoteHandle implements SandboxHandle {
    private final CloudBackend backend;
    private final String name;

    RemoteHandle(CloudBackend backend, String name) {
        this.backend = backend;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SandboxInfo info() {
        return backend.get(name).orElseThrow(() -> new NotFoundException("sandbox", name));
    }

    @Override
    public ExecResult exec(ExecOptions options) {
        Instant start = Instant.now();
        Collector out = new Collector(backend.maxExecOutputBytes());
        ExecSession session = execStream(options, out);
        ExecExit exit;
        try {
            exit = session.waitFor(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.signal(RemoteExec.SIGKILL);
            throw new MsbException("backend " + backend.name() + ": interrupted while " + name + " ran a command", e);
        }
        if (out.overLimit) {
            throw new MsbException("backend " + backend.name() + ": the command's output passed "
                    + backend.maxExecOutputBytes() + " bytes (maxExecOutputMib)");
        }
        return new ExecResult(exit, out.stdout.toByteArray(), out.stderr.toByteArray(),
                Duration.between(start, Instant.now()));
    }

    @Override
    public ExecSession execStream(ExecOptions options, ExecListener listener) {
        return backend.remote(name, remote -> RemoteExec.start(remote, backend.name(), name, options, listener));
    }

    @Override
    public SandboxFs fs() {
        return new RemoteFs(this, backend.name());
    }

    @Override
    public SandboxMetrics metrics() {
        JsonNode m = backend.remote(name, r -> r.call("GET", RemoteMsb.sandbox(name, "metrics"), null, name));
        JsonNode memory = m.path("guest_memory");
        JsonNode net = m.path("network");
        return new SandboxMetrics(m.path("pid").asLong(), Duration.ofMillis(m.path("cpu_time_ms").asLong()),
                m.path("rss_bytes").asLong(), Instant.parse(m.path("sampled_at").asText(Instant.now().toString())),
                memory.isObject() ? new SandboxMetrics.GuestMemory(memory.path("total_bytes").asLong(),
                        memory.path("available_bytes").asLong()) : null,
                net.isObject() ? new SandboxMetrics.Network(net.path("rx_bytes").asLong(), net.path("tx_bytes").asLong(),
                        net.path("rx_packets").asLong(), net.path("tx_packets").asLong()) : null,
                m.path("disk_read_bytes").isIntegralNumber() && m.path("disk_write_bytes").isIntegralNumber()
                        ? new SandboxMetrics.Disk(m.path("disk_read_bytes").asLong(),
                                m.path("disk_write_bytes").asLong()) : null,
                m.path("memory_limit_bytes").asLong(), // 0 from a server before decision 1877: not known
                m.path("uptime_secs").isNumber() ? Duration.ofMillis(Math.round(m.path("uptime_secs").asDouble() * 1000))
                        : null,
                m.path("cpu_percent").isNumber() ? m.path("cpu_percent").asDouble() : null);
    }

    @Override
    public List<GuestProcess> processes() {
        JsonNode list = backend.remote(name, r -> r.call("GET", RemoteMsb.sandbox(name, "processes"), null, name));
        List<GuestProcess> out = new ArrayList<>();
        for (JsonNode p : list.path("data")) {
            out.add(new GuestProcess(p.path("pid").asInt(), p.path("ppid").asInt(), p.path("user").asText(""),
                    p.path("state").asText(""), Duration.ofMillis(p.path("cpu_time_ms").asLong()),
                    Duration.ofMillis(p.path("elapsed_ms").asLong()), p.path("rss_bytes").asLong(),
                    RemoteErrors.printable(p.path("command").asText(""))));
        }
        return out;
    }

    @Override
    public TcpStream connect(String host, int port) {
        throw new UnsupportedFeatureException("backend " + backend.name() + ": the HTTP API has no route for a TCP"
                + " connection into a sandbox");
    }

    @Override
    public void stop(Duration grace) {
        backend.stop(name, grace);
    }

    @Override
    public void kill() {
        backend.kill(name);
    }

    @Override
    public void drain() {
        backend.drain(name);
    }

    @Override
    public SandboxInfo pause() {
        return backend.pause(name);
    }

    @Override
    public SandboxInfo resume() {
        return backend.resume(name);
    }

    /** A collected exec's output, bounded: past the limit the rest is dropped and the exec fails. */
    private static final class Collector implements ExecListener {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final long max;
        volatile boolean overLimit;

        Collector(long max) {
            this.max = max;
        }

        @Override
        public void onEvent(ExecEvent event) {
            byte[] data = event instanceof ExecEvent.Stdout o ? o.data()
                    : event instanceof ExecEvent.Stderr e ? e.data() : null;
            if (data == null || overLimit) {
                return;
            }
            if (stdout.size() + stderr.size() + (long) data.length > max) {
                overLimit = true;
                return;
            }
            (event instanceof ExecEvent.Stdout ? stdout : stderr).writeBytes(data);
        }
    }
}
