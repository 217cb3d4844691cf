package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.protocol.internal.AgentConnectorComponent;
import io.msb.protocol.internal.Codec;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DS component, built the way SCR builds it (a Config proxy with overrides over the defaults). */
class AgentConnectorComponentTest {
    @TempDir
    Path dir;

    static AgentConnectorComponent.Config config(Map<String, Object> overrides) {
        return (AgentConnectorComponent.Config) Proxy.newProxyInstance(AgentConnectorComponentTest.class.getClassLoader(),
                new Class<?>[] { AgentConnectorComponent.Config.class },
                (proxy, method, args) -> overrides.containsKey(method.getName()) ? overrides.get(method.getName())
                        : method.getDefaultValue());
    }

    @Test
    void invalidConfigurationNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AgentConnectorComponent(config(Map.of("streamQueueChunks", 0))));
        assertEquals("io.msb.protocol streamQueueChunks: must be in [1, 4096], got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new AgentConnectorComponent(config(Map.of("heartbeatStaleBudgetSeconds", -1))));
    }

    @Test
    void heartbeatPolicyZeroMeansDisabled() {
        AgentConnector c = new AgentConnectorComponent(config(Map.of("heartbeatBootGraceSeconds", 90)));
        assertEquals(Duration.ofSeconds(90), c.heartbeatBootGrace());
        assertNull(c.heartbeatStaleBudget());
    }

    @Test
    void withDefaultsIsTheServiceWithoutAConfiguration() {
        AgentConnector c = AgentConnector.withDefaults();
        assertNull(c.heartbeatBootGrace());
        assertNull(c.heartbeatStaleBudget());
    }

    @Test
    void relayAndClientsThroughTheService() throws Exception {
        Agentd.binary();
        AgentConnector c = AgentConnector.withDefaults();
        Path vm = dir.resolve("vm.sock");
        Path readyFile = dir.resolve("agent.ready");
        try (Agentd agent = Agentd.listen(vm)) {
            try (AgentRelay relay = c.relay(vm, dir.resolve("agent.sock"), readyFile);
                    AgentClient client = c.connectRelay(relay.path())) {
                assertEquals("ok\n", client.run(ExecOptions.of("echo", "ok").build()).stdoutText());
                assertTrue(client.ping().toNanos() > 0);
                assertEquals(relay.ready(), savedReady(readyFile), "the relay kept the agent's ready");
            }
            // a later process resumes the same agent from the kept ready
            try (AgentRelay relay = c.resumeRelay(vm, dir.resolve("agent.sock"), readyFile);
                    AgentClient client = c.connectRelay(relay.path())) {
                assertEquals("resumed\n", client.run(ExecOptions.of("echo", "resumed").build()).stdoutText());
            }
            // without a kept ready, resuming is a fresh relay, which keeps one
            Files.delete(readyFile);
            try (AgentRelay relay = c.resumeRelay(vm, dir.resolve("agent.sock"), readyFile);
                    AgentClient client = c.connectRelay(relay.path())) {
                assertEquals("again\n", client.run(ExecOptions.of("echo", "again").build()).stdoutText());
                assertEquals(relay.ready(), savedReady(readyFile));
            }
            assertTrue(agent.process.isAlive());
        }
    }

    private static Core.Ready savedReady(Path file) throws Exception {
        try (var in = Files.newInputStream(file)) {
            return Codec.decode(Frame.read(in)).payload(Core.Ready.class);
        }
    }
}
