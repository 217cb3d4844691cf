package io.msb.protocol.internal;

import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentConnector;
import io.msb.protocol.AgentRelay;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Core;
import io.msb.protocol.Frame;
import io.msb.protocol.MessageType;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@link AgentConnector} with timeouts and buffer sizes from configuration PID {@code io.msb.protocol}. */
@Component(service = AgentConnector.class, configurationPid = AgentConnectorComponent.PID)
@Designate(ocd = AgentConnectorComponent.Config.class)
public final class AgentConnectorComponent implements AgentConnector {
    public static final String PID = "io.msb.protocol";

    @ObjectClassDefinition(name = "msb agent protocol",
            description = "Timeouts and buffers of agent connections, the relay and the heartbeat monitor")
    public @interface Config {
        @AttributeDefinition(name = "Ready timeout (s)", min = "1",
                description = "How long a client waits for the agent's core.ready")
        int readyTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Request timeout (s)", min = "1",
                description = "How long a request (ping, fs operation, tcp connect) waits for its answer")
        int requestTimeoutSeconds() default 30;

        @AttributeDefinition(name = "Stream queue (chunks)", min = "1", max = "4096",
                description = "256 KiB chunks buffered per exec, fs read or tcp stream before the agent pauses that session")
        int streamQueueChunks() default 16;

        @AttributeDefinition(name = "Relay ready timeout (s)", min = "1",
                description = "How long the relay waits for a booting guest's core.ready")
        int relayReadyTimeoutSeconds() default 180;

        @AttributeDefinition(name = "Heartbeat boot grace (s)", min = "0",
                description = "No heartbeat after this long means the agent is unresponsive; 0 waits forever")
        int heartbeatBootGraceSeconds() default 0;

        @AttributeDefinition(name = "Heartbeat stale budget (s)", min = "0",
                description = "A heartbeat stale this long (confirmed for as long again) means the agent is "
                        + "unresponsive; 0 never decides that from staleness")
        int heartbeatStaleBudgetSeconds() default 0;
    }

    private final AgentClient.Options clientOptions;
    private final Relay.Options relayOptions;
    private final Duration bootGrace;
    private final Duration staleBudget;

    @Activate
    public AgentConnectorComponent(Config config) {
        clientOptions = new AgentClient.Options(
                seconds("readyTimeoutSeconds", config.readyTimeoutSeconds(), 1),
                seconds("requestTimeoutSeconds", config.requestTimeoutSeconds(), 1),
                within("streamQueueChunks", config.streamQueueChunks(), 1, 4096));
        relayOptions = new Relay.Options(seconds("relayReadyTimeoutSeconds", config.relayReadyTimeoutSeconds(), 1));
        bootGrace = optional(seconds("heartbeatBootGraceSeconds", config.heartbeatBootGraceSeconds(), 0));
        staleBudget = optional(seconds("heartbeatStaleBudgetSeconds", config.heartbeatStaleBudgetSeconds(), 0));
    }

    /** As DS activates the component without a configuration: each attribute its declared default. */
    public static AgentConnector withDefaults() {
        return new AgentConnectorComponent((Config) Proxy.newProxyInstance(Config.class.getClassLoader(),
                new Class<?>[] {Config.class}, (proxy, method, args) -> method.getDefaultValue()));
    }

    private static Duration seconds(String key, int value, int min) {
        return Duration.ofSeconds(within(key, value, min, Integer.MAX_VALUE));
    }

    private static int within(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(PID + " " + key + ": must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    private static Duration optional(Duration d) {
        return d.isZero() ? null : d;
    }

    @Override
    public AgentClient connect(Path agentSocket) throws IOException {
        return AgentClient.connect(agentSocket, clientOptions);
    }

    @Override
    public AgentClient connectRelay(Path relaySocket) throws IOException {
        return AgentClient.connectRelay(relaySocket, clientOptions);
    }

    @Override
    public AgentClient connect(AgentTransport transport) throws IOException {
        return AgentClient.connect(transport, clientOptions);
    }

    @Override
    public AgentRelay relay(Path agentSocket, Path listenPath, Path readyFile) throws IOException {
        Relay relay = Relay.start(agentSocket, listenPath, relayOptions);
        try {
            saveReady(relay.ready(), readyFile);
        } catch (IOException | RuntimeException e) {
            relay.close();
            throw e;
        }
        return relay;
    }

    @Override
    public AgentRelay resumeRelay(Path agentSocket, Path listenPath, Path readyFile) throws IOException {
        if (!Files.exists(readyFile)) {
            return relay(agentSocket, listenPath, readyFile);
        }
        return resumeRelay(AgentTransport.unix(agentSocket), listenPath, readyFile);
    }

    @Override
    public AgentRelay resumeRelay(AgentTransport agent, Path listenPath, Path readyFile) throws IOException {
        Core.Ready ready;
        try (InputStream in = Files.newInputStream(readyFile)) {
            ready = Codec.decode(Frame.read(in)).payload(Core.Ready.class);
        } catch (IOException | RuntimeException e) {
            agent.close();
            throw e;
        }
        return Relay.resume(agent, listenPath, ready, relayOptions);
    }

    /** The ready as one frame, the format runtimes have kept it in since the relay could resume (decision 0336). */
    private static void saveReady(Core.Ready ready, Path file) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, Codec.encode(MessageType.READY, 0, ready).encode());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public Duration heartbeatBootGrace() {
        return bootGrace;
    }

    @Override
    public Duration heartbeatStaleBudget() {
        return staleBudget;
    }
}
