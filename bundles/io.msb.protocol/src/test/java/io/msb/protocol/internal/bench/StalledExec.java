package io.msb.protocol.internal.bench;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.MessageType;
import io.msb.protocol.internal.Codec;
import io.msb.protocol.internal.Relay;
import java.io.DataInputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Latency of a second exec ({@code echo second}) while another exec producing endless output is stalled
 * (decisions 0230, 0310, 0311), against the real agentd as a host process over a UNIX socket:
 * <ul>
 * <li>idle: nothing else runs;</li>
 * <li>same connection: an exec of the same client whose listener never returns;</li>
 * <li>with {@code --relay}, other relay client: a raw client of the same relay that never reads.</li>
 * </ul>
 * Usage: StalledExec AGENTD [--relay] [iterations]
 */
public final class StalledExec {
    private static final ExecOptions SECOND = ExecOptions.of("echo", "second").build();
    private static final ExecOptions ENDLESS = ExecOptions.of("cat", "/dev/zero").build();

    public static void main(String[] args) throws Exception {
        try (BenchAgent b = BenchAgent.start("StalledExec", args, 300)) {
            AgentClient c = b.client;
            Relay relay = b.relay;
            int n = b.iterations;
            for (int i = 0; i < 50; i++) { // warm-up
                c.run(SECOND);
            }
            measure(c, n, "echo second, idle");

            CountDownLatch stall = new CountDownLatch(1);
            ExecSession stalled = c.exec(ENDLESS, e -> {
                if (e instanceof ExecEvent.Stdout) {
                    try {
                        stall.await(); // a consumer that never returns
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            Thread.sleep(1000); // let its buffers fill and the pause reach agentd
            measure(c, n, "echo second, beside a stalled exec of the same client");
            stalled.signal(9);
            stall.countDown();
            stalled.waitFor(Duration.ofSeconds(60));

            if (relay != null) {
                try (AgentTransport raw = AgentTransport.unix(relay.path())) {
                    DataInputStream in = new DataInputStream(raw.input());
                    int id = in.readInt();
                    in.readInt();
                    Frame.read(in);
                    Exec.Request req = new Exec.Request("cat", List.of("/dev/zero"), null, null, null, null, null, null,
                            null);
                    raw.output().write(Codec.encode(MessageType.EXEC_REQUEST, id, req).encode());
                    raw.output().flush();
                    Thread.sleep(1000);
                    measure(c, n, "echo second, beside a relay client that never reads");
                    System.out.printf("stalled relay client: %d MiB queued, relay clients: %d%n",
                            relay.queuedFor(0) + relay.queuedFor(1) >> 20, relay.clientCount());
                }
            }
        }
    }

    private static void measure(AgentClient c, int n, String what) {
        long[] t = new long[n];
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            ExecResult r = c.run(SECOND);
            t[i] = System.nanoTime() - t0;
            wrong += r.stdoutText().equals("second\n") && r.exit().code() == 0 ? 0 : 1;
        }
        RoundTrip.report(what, t);
        if (wrong > 0) {
            System.out.printf("  %d of %d had incomplete output or a non-zero exit%n", wrong, n);
        }
    }
}
