package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.network.NetworkAddresses;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.protocol.AgentConnector;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live policy change: kept in the stored spec, handed to the network of a running sandbox only. */
class NetworkPolicyUpdateTest {
    @TempDir
    Path home;

    /** The real store bundle in an embedded Felix. */
    private EmbeddedMsb msb;
    private SandboxStore store;
    private SandboxLifecycle lifecycle;
    private final RecordingNetworkServiceForTests network = new RecordingNetworkServiceForTests();
    private Process vm;

    @BeforeEach
    void open() throws Exception {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.store").configure("io.msb.store", Map.of("maxConnections", 4))
                .start();
        store = msb.service(SandboxStore.class);
        lifecycle = new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofMillis(500)),
                List::of, AgentConnector.withDefaults(),
                () -> null, () -> null, () -> network);
        vm = new ProcessBuilder("sleep", "1000").start(); // stands in for a VM: a live pid keeps the record Running
    }

    @AfterEach
    void close() {
        lifecycle.deactivate();
        vm.destroyForcibly();
        msb.close();
    }

    private void record(String name, NetworkConfig net, boolean running) {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, SpecJson.write(SandboxSpec.builder(name).image("alpine")
                .network(net).build()), SandboxStatus.STOPPED, false, Map.of(), now, now));
        if (running) {
            store.startRun(name, vm.pid(), now, SandboxStatus.RUNNING);
        }
    }

    @Test
    void aRunningSandboxsNetworkGetsTheNewPolicyAndTheSpecKeepsIt() {
        record("run", NetworkConfig.defaults(), true);
        network.attached.put("run", new NetworkAttachment("stream", Map.of("ipv4", "172.16.0.6/30",
                "gateway", "172.16.0.5", "mac", "02:00:ac:10:00:06", "mtu", "1500", "dns", "172.16.0.5")));
        NetworkPolicy none = NetworkPolicy.none();
        SandboxInfo info = lifecycle.updateNetworkPolicy("run", none);
        assertEquals(none, info.spec().network().policy());
        assertEquals(none, lifecycle.get("run").orElseThrow().spec().network().policy(), "stored");
        assertEquals(List.of("update run " + none.toMap()), network.events);
        assertEquals(Optional.of(new NetworkAddresses("172.16.0.6/30", "172.16.0.5", "02:00:ac:10:00:06", 1500,
                List.of("172.16.0.5"))), lifecycle.get("run").orElseThrow().addresses());
    }

    @Test
    void aStoppedSandboxKeepsItForItsNextStart() {
        record("off", NetworkConfig.defaults(), false);
        lifecycle.updateNetworkPolicy("off", NetworkPolicy.allowAll());
        assertEquals(NetworkPolicy.allowAll(), lifecycle.get("off").orElseThrow().spec().network().policy());
        assertTrue(network.events.isEmpty());
        assertEquals(Optional.empty(), lifecycle.get("off").orElseThrow().addresses());
    }

    @Test
    void aRunningSandboxWhoseNetworkIsNotAttachedKeepsItToo() {
        record("loose", NetworkConfig.defaults(), true);
        lifecycle.updateNetworkPolicy("loose", NetworkPolicy.none());
        assertEquals(NetworkPolicy.none(), lifecycle.get("loose").orElseThrow().spec().network().policy());
    }

    @Test
    void withoutANetworkThereIsNoPolicyToChange() {
        record("nonet", NetworkConfig.disabled(), true);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> lifecycle.updateNetworkPolicy("nonet", NetworkPolicy.none()));
        assertEquals("network", e.field());
        record("nonet2", null, false);
        assertEquals("network", assertThrows(InvalidConfigException.class,
                () -> lifecycle.updateNetworkPolicy("nonet2", NetworkPolicy.none())).field());
        assertThrows(NotFoundException.class, () -> lifecycle.updateNetworkPolicy("ghost", NetworkPolicy.none()));
    }
}
