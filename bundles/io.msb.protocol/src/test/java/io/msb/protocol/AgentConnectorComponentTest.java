package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.protocol.internal.AgentConnectorComponent;
import java.lang.reflect.Proxy;
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
    void relayAndClientsThroughTheService() throws Exception {
        Agentd.binary();
        AgentConnector c = new AgentConnectorComponent(config(Map.of()));
        Path vm = dir.resolve("vm.sock");
        try (Agentd agent = Agentd.listen(vm); Relay relay = c.relay(vm, dir.resolve("agent.sock"));
                AgentClient client = c.connectRelay(relay.path())) {
            assertEquals("ok\n", client.run(ExecOptions.of("echo", "ok").build()).stdoutText());
            assertTrue(client.ping().toNanos() > 0);
            assertTrue(agent.process.isAlive());
        }
    }
}
