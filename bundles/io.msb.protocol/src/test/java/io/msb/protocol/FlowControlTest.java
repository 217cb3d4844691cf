package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Per-session flow control against the real agentd (decisions 0230, 0310): a consumer that does not read
 * pauses only its own session; the others keep their full output, and the stalled one loses nothing.
 */
class FlowControlTest extends AgentdOnStdio {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** seq 1 N: far more than the session buffer (4 MiB), the agent's backlog and the pipe together. */
    private static final int LINES = 3_000_000;

    static byte[] seq(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    @Test
    void announcedByTheAgent() {
        assertTrue(client.ready().supportsFlowControl(), "agentd announces flow_control in core.ready");
    }

    @Test
    void aStalledExecListenerDelaysNoOtherSession() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExecSession slow = client.exec(ExecOptions.of("seq", "1", String.valueOf(LINES)).build(), e -> {
            if (e instanceof ExecEvent.Stdout o) {
                try {
                    stall.await(); // a consumer that does not read (until released)
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                out.writeBytes(o.data());
            }
        });
        try {
            for (int i = 0; i < 3; i++) {
                ExecResult second = client.run(ExecOptions.of("echo", "second").build());
                assertEquals("second\n", second.stdoutText(), "full output of an exec beside a stalled one");
                assertEquals(new ExecExit(0, 0), second.exit());
                assertTrue(client.ping().toNanos() > 0);
            }
            assertFalse(slow.exit().toCompletableFuture().isDone(), "the stalled producer is paused, not finished");
        } finally {
            stall.countDown();
        }
        assertEquals(new ExecExit(0, 0), slow.waitFor(WAIT));
        byte[] expected = seq(LINES);
        assertEquals(expected.length, out.size(), "every byte of the stalled exec arrives");
        assertArrayEquals(sha256(expected), sha256(out.toByteArray()));
    }

    @Test
    void anUnreadFsReadAndTcpStreamDelayNoExec() throws Exception {
        byte[] content = new byte[12 * 1024 * 1024];
        new Random(7).nextBytes(content);
        Path file = dir.resolve("big.bin");
        Files.write(file, content);
        try (InputStream unread = client.fs().read(file.toString())) {
            Thread.sleep(200); // let the read fill its buffer
            ExecResult second = client.run(ExecOptions.of("echo", "second").build());
            assertEquals("second\n", second.stdoutText());
            assertArrayEquals(sha256(content), sha256(unread.readAllBytes()), "the paused read resumes intact");
        }
    }
}
