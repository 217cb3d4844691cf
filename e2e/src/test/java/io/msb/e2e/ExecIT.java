package io.msb.e2e;

import static io.msb.e2e.Platform.await;
import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxMetrics;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.FileStat;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Exec and fs through the whole stack, on one builtin:busybox sandbox shared by the tests (each leaves it as found). */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class ExecIT {
    @RegisterExtension
    static final SharedSandbox SANDBOX = new SharedSandbox(platform -> platform.create("e2e-exec", false));

    @Test
    void echoExitCodesAndStderr(SandboxHandle box) {
        ExecResult r = sh(box, "echo out; echo err >&2; exit 3");
        assertEquals("out\n", r.stdoutText());
        assertEquals("err\n", r.stderrText());
        assertEquals(new ExecExit(3, 0), r.exit());

        ExecResult echo = box.exec(ExecOptions.of("echo", "hello", "world").build());
        assertEquals("hello world\n", echo.stdoutText());
        assertTrue(echo.exit().success());

        // The image's PATH and /etc/passwd are what the guest sees.
        assertEquals("/usr/sbin:/usr/bin:/sbin:/bin\nroot\n", sh(box, "echo $PATH; id -un").stdoutText());
        assertEquals(9, sh(box, "kill -9 $$").exit().signal());
        // Streamed with a bound: a lost failure reply must fail this test, not hang the suite.
        assertThrows(ExecFailedException.class,
                () -> box.execStream(ExecOptions.of("/no/such/binary").build(), e -> { }).waitFor(Duration.ofMinutes(2)));
    }

    @Test
    void hundredMebibytesOfOutputArriveIntact(SandboxHandle box) throws Exception {
        long size = 100L << 20;
        ExecResult made = sh(box, "head -c " + size + " /dev/urandom > /root/big && sha256sum /root/big");
        assertTrue(made.exit().success(), made.stderrText());
        String guestHash = made.stdoutText().split(" ")[0];

        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        AtomicLong bytes = new AtomicLong();
        ExecSession s = box.execStream(ExecOptions.of("cat", "/root/big").build(), e -> {
            if (e instanceof ExecEvent.Stdout out) {
                synchronized (sha) {
                    sha.update(out.data());
                }
                bytes.addAndGet(out.data().length);
            }
        });
        assertTrue(s.waitFor(Duration.ofMinutes(10)).success());
        assertEquals(size, bytes.get());
        synchronized (sha) {
            assertEquals(guestHash, HexFormat.of().formatHex(sha.digest()));
        }

        // Collected, too: the whole output in one result.
        ExecResult collected = box.exec(ExecOptions.of("cat", "/root/big").build());
        assertEquals(size, collected.stdout().length);
        assertEquals(guestHash, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(collected.stdout())));
        assertTrue(sh(box, "rm /root/big").exit().success());
    }

    @Test
    void interactiveTtyFollowsResize(SandboxHandle box) throws Exception {
        StringBuffer screen = new StringBuffer();
        ExecSession s = box.execStream(ExecOptions.of("/bin/sh").tty(24, 80).build(), e -> {
            if (e instanceof ExecEvent.Stdout out) {
                screen.append(new String(out.data(), StandardCharsets.UTF_8));
            }
        });
        s.writeStdin("[ -t 0 ] && echo IS-A-TTY; stty size\n".getBytes(StandardCharsets.UTF_8));
        await("the first stty size", () -> screen.indexOf("24 80") >= 0);
        assertTrue(screen.indexOf("IS-A-TTY") >= 0, screen.toString());
        s.resize(40, 120);
        s.writeStdin("stty size\n".getBytes(StandardCharsets.UTF_8));
        await("stty size after the resize", () -> screen.indexOf("40 120") >= 0);
        s.writeStdin("exit 7\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(7, s.waitFor(Duration.ofMinutes(2)).code());
    }

    @Test
    void metricsReportTheGuestsOwnMemory(SandboxHandle box, Platform platform) {
        SandboxMetrics m = box.metrics();
        long vmBytes = (long) platform.runtime().get(box.name()).orElseThrow().spec().memoryMib() << 20;
        assertNotNull(m.guestMemory(), "the agent reports the guest's memory: " + m);
        // The guest's kernel keeps some of the VM's memory for itself: so not the host's meminfo, and not more
        // than the VM has.
        assertTrue(m.guestMemory().totalBytes() < vmBytes && m.guestMemory().totalBytes() > vmBytes / 2,
                m.guestMemory() + " for a VM of " + vmBytes + " bytes");
        assertTrue(m.guestMemory().usedBytes() > 0, m.toString());
        assertTrue(m.rssBytes() > 0, m.toString());
    }

    @Test
    void fsWriteThenReadBack(SandboxHandle box) {
        byte[] data = new byte[(1 << 20) + 123];
        new Random(42).nextBytes(data);
        box.fs().mkdirs("/root/fs-test/sub", 0755);
        box.fs().write("/root/fs-test/sub/data.bin", data);
        assertArrayEquals(data, box.fs().readAllBytes("/root/fs-test/sub/data.bin"));
        FileStat stat = box.fs().stat("/root/fs-test/sub/data.bin");
        assertEquals(data.length, stat.size());
        // The guest's own tools see the same bytes.
        String hash = sh(box, "sha256sum /root/fs-test/sub/data.bin").stdoutText().split(" ")[0];
        assertEquals(sha256(data), hash);
        box.fs().removeRecursive("/root/fs-test");
        assertEquals(1, sh(box, "test -e /root/fs-test").exit().code());
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
