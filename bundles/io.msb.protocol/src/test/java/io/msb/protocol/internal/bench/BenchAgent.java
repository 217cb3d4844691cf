package io.msb.protocol.internal.bench;

import io.msb.protocol.AgentClient;
import io.msb.protocol.internal.Relay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * The common arrangement of the programs here: {@code PROGRAM AGENTD [--relay] [iterations]}; the real agentd as
 * a host process on a UNIX socket (as a VM channel is) and one client, directly or through our {@link Relay}.
 */
final class BenchAgent implements AutoCloseable {
    final Path dir;
    final int iterations;
    final Relay relay;
    final AgentClient client;
    private final Process agent;

    private BenchAgent(Path dir, int iterations, Process agent, Relay relay, AgentClient client) {
        this.dir = dir;
        this.iterations = iterations;
        this.agent = agent;
        this.relay = relay;
        this.client = client;
    }

    /** With {@code --observe}: exec output bytes the relay's observer saw, and bytes it dropped for falling behind. */
    static final long[] OBSERVED_BYTES = new long[2];
    private static final io.msb.protocol.ExecObserver OBSERVED = new io.msb.protocol.ExecObserver() {
        @Override
        public void started(int session, io.msb.protocol.Exec.Request request) {
        }

        @Override
        public void output(int session, boolean stderr, byte[] data) {
            OBSERVED_BYTES[0] += data.length;
        }

        @Override
        public void ended(int session) {
        }

        @Override
        public void dropped(long bytes) {
            OBSERVED_BYTES[1] += bytes;
        }
    };

    static BenchAgent start(String program, String[] args, int defaultIterations) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: " + program + " AGENTD [--relay [--observe]] [iterations]");
            System.exit(2);
        }
        boolean viaRelay = Arrays.asList(args).contains("--relay");
        int n = args.length > 1 && !args[args.length - 1].startsWith("--") ? Integer.parseInt(args[args.length - 1])
                : defaultIterations;
        Path dir = Files.createTempDirectory("msb-bench");
        Path sock = dir.resolve("vm.sock");
        Process agent = new ProcessBuilder(args[0], "--listen", sock.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("agentd.log").toFile()).start();
        for (int i = 0; i < 500 && !Files.exists(sock); i++) {
            Thread.sleep(10);
        }
        Thread.sleep(50); // the socket file exists from bind, just before listen
        AgentClient.Options opts = new AgentClient.Options(Duration.ofSeconds(30), Duration.ofSeconds(120), 16);
        Relay relay = viaRelay ? Relay.start(sock, dir.resolve("agent.sock"), Relay.Options.DEFAULTS) : null;
        if (relay != null && Arrays.asList(args).contains("--observe")) {
            relay.observe(OBSERVED); // what the runtime's log capture costs the relay (decision 1017), without the disk
        }
        AgentClient client = viaRelay ? AgentClient.connectRelay(relay.path(), opts) : AgentClient.connect(sock, opts);
        System.out.printf("mode: agentd as a host process, %s%s, cores: %d, load: %.1f%n",
                viaRelay ? "through Relay" : "direct UNIX socket",
                relay != null && Arrays.asList(args).contains("--observe") ? " with an exec observer" : "", Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        return new BenchAgent(dir, n, agent, relay, client);
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        if (relay != null) {
            relay.close();
        }
        agent.destroy();
        agent.waitFor();
    }
}
