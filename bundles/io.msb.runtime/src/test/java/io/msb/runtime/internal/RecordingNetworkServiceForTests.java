package io.msb.runtime.internal;

import io.msb.api.NotFoundException;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkCounters;
import io.msb.api.spi.NetworkService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The network service's side of the boundary (io.msb.network is another bundle): records what the runtime asks in
 * order ({@code attach <name>}, {@code detach <name>}, {@code update <name> <policy>}) and hands out the
 * attachment a real service would, without any stack or socket.
 */
final class RecordingNetworkServiceForTests implements NetworkService {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Map<String, NetworkAttachment> attached = new ConcurrentHashMap<>();
    /** The configuration each sandbox was last attached with, and how it can be stopped. */
    final Map<String, NetworkConfig> configs = new ConcurrentHashMap<>();
    final Map<String, java.util.function.Consumer<String>> terminators = new ConcurrentHashMap<>();
    /** The interception CA offered, or null for none. */
    volatile String caPem;

    /** What {@link #attach} hands out: the first /30 of microsandbox's pool, as the real service would. */
    static NetworkAttachment attachment(Path stateDir) {
        return new NetworkAttachment("stream", Map.of("path", stateDir.resolve("net.sock").toString(),
                "mac", "02:00:ac:10:00:02", "ipv4", "172.16.0.2/30", "gateway", "172.16.0.1", "mtu", "1500",
                "dns", "172.16.0.1", "hosts", "host.microsandbox.internal=172.16.0.1"));
    }

    @Override
    public NetworkAttachment attach(String sandbox, Path stateDir, NetworkConfig config,
            java.util.function.Consumer<String> terminate) {
        events.add("attach " + sandbox);
        configs.put(sandbox, config);
        terminators.put(sandbox, terminate);
        return attached.computeIfAbsent(sandbox, s -> attachment(stateDir));
    }

    @Override
    public Optional<String> interceptCaPem() {
        return Optional.ofNullable(caPem);
    }

    @Override
    public void update(String sandbox, NetworkPolicy policy) {
        if (!attached.containsKey(sandbox)) {
            throw new NotFoundException("sandbox network", sandbox);
        }
        events.add("update " + sandbox + " " + policy.toMap());
    }

    @Override
    public void detach(String sandbox) {
        if (attached.remove(sandbox) != null) {
            events.add("detach " + sandbox);
        }
    }

    @Override
    public Optional<NetworkAttachment> attachment(String sandbox) {
        return Optional.ofNullable(attached.get(sandbox));
    }

    @Override
    public Optional<NetworkCounters> counters(String sandbox) {
        return Optional.empty();
    }
}
