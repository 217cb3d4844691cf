package io.msb.protocol.internal.bench;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.AgentClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host-process measurements against the real agentd over a UNIX socket (as a VM channel is):
 * ping and `exec true` round trips, exec stdout throughput, fs write/read throughput.
 * Usage: RoundTrip AGENTD [--relay [--observe]] [iterations]
 */
public final class RoundTrip {
    public static void main(String[] args) throws Exception {
        try (BenchAgent b = BenchAgent.start("RoundTrip", args, 10_000)) {
            AgentClient c = b.client;
            int n = b.iterations;
            Path dir = b.dir;
            long[] ping = new long[n];
            for (int i = 0; i < n; i++) { // warm-up
                c.ping();
            }
            for (int i = 0; i < n; i++) {
                ping[i] = c.ping().toNanos();
            }
            report("ping round trip", ping);

            int execs = Math.max(200, n / 20);
            long[] exec = new long[execs];
            for (int i = 0; i < 50; i++) {
                c.run(ExecOptions.of("true").build());
            }
            for (int i = 0; i < execs; i++) {
                long t0 = System.nanoTime();
                c.run(ExecOptions.of("true").build());
                exec[i] = System.nanoTime() - t0;
            }
            report("exec true round trip", exec);

            long bytes = 2L << 30;
            for (int round = 0; round < 3; round++) {
                AtomicLong seen = new AtomicLong();
                long t0 = System.nanoTime();
                ExecSession s = c.exec(ExecOptions.of("head", "-c", Long.toString(bytes), "/dev/zero").build(), e -> {
                    if (e instanceof ExecEvent.Stdout o) {
                        seen.addAndGet(o.data().length);
                    }
                });
                s.waitFor(null);
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("exec stdout throughput: %.0f MB/s (%d MiB in %.2f s)%n", seen.get() / secs / 1e6,
                        seen.get() >> 20, secs);
                if (BenchAgent.OBSERVED_BYTES[0] + BenchAgent.OBSERVED_BYTES[1] > 0) {
                    System.out.printf("  exec observer so far: %d MiB seen, %d MiB dropped%n",
                            BenchAgent.OBSERVED_BYTES[0] >> 20, BenchAgent.OBSERVED_BYTES[1] >> 20);
                }
            }

            int size = 512 << 20;
            byte[] chunk = new byte[1 << 20];
            Path file = dir.resolve("fs.bin");
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                c.fs().write(file.toString(), new InputStream() {
                    long left = size;

                    @Override
                    public int read() {
                        return left-- > 0 ? 0 : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (left <= 0) {
                            return -1;
                        }
                        int k = (int) Math.min(len, left);
                        Arrays.fill(b, off, off + k, (byte) 1);
                        left -= k;
                        return k;
                    }
                }, 0644);
                double w = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                long read = 0;
                try (InputStream in = c.fs().read(file.toString())) {
                    int k;
                    while ((k = in.read(chunk)) > 0) {
                        read += k;
                    }
                }
                double r = (System.nanoTime() - t0) / 1e9;
                System.out.printf("fs write: %.0f MB/s, fs read: %.0f MB/s (%d MiB)%n", size / w / 1e6, read / r / 1e6,
                        size >> 20);
            }
            Files.deleteIfExists(file);
        }
    }

    static void report(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%s: p50 %.1f µs, p99 %.1f µs, max %.1f µs (n=%d)%n", what, s[s.length / 2] / 1e3,
                s[(int) (s.length * 0.99)] / 1e3, s[s.length - 1] / 1e3, s.length);
    }
}
