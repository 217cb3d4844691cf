package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecFailureKind;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.exec.Rlimit;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Exec through the real agentd on stdio: output, stdin, PTY, exit codes, signals, failures, volume. */
class ExecTest extends AgentdOnStdio {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ExecResult sh(String script) {
        return client.run(ExecOptions.of("/bin/sh", "-c", script).build());
    }

    @Test
    void readyAndPing() {
        Core.Ready r = client.ready();
        assertTrue(r.readyTimeNs() >= r.bootTimeNs(), "ready after boot: " + r);
        assertTrue(client.ping().toNanos() > 0);
        long a = client.touch();
        long b = client.touch();
        assertTrue(b > a, "touch advances the activity sequence: " + a + " then " + b);
    }

    @Test
    void collectsStdoutStderrAndExitCode() {
        ExecResult r = sh("echo out; echo err >&2; exit 3");
        assertEquals("out\n", r.stdoutText());
        assertEquals("err\n", r.stderrText());
        assertEquals(new ExecExit(3, 0), r.exit());
    }

    @Test
    void trueSucceeds() {
        assertTrue(client.run(ExecOptions.of("true").build()).exit().success());
        assertEquals(1, client.run(ExecOptions.of("false").build()).exit().code());
    }

    @Test
    void envCwdAndArgsArePassed() throws Exception {
        ExecResult r = client.run(ExecOptions.of("/bin/sh", "-c", "echo \"$FOO|$(pwd)|$0|$1\"", "zero", "one two")
                .env("FOO", "bar baz").cwd(dir.toString()).build());
        assertEquals("bar baz|" + dir.toRealPath() + "|zero|one two\n", r.stdoutText());
    }

    @Test
    void stdinIsStreamedInChunksAndClosed() throws Exception {
        // agentd queues at most 4 MiB of stdin per session (and reports the excess as core.exec.stdin.error)
        byte[] input = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExecSession s = client.exec(ExecOptions.of("cat").build(), e -> {
            if (e instanceof ExecEvent.Stdout o) {
                out.writeBytes(o.data());
            }
        });
        for (int off = 0; off < input.length; off += 300_000) {
            s.writeStdin(java.util.Arrays.copyOfRange(input, off, Math.min(input.length, off + 300_000)));
        }
        s.closeStdin();
        assertEquals(0, s.waitFor(WAIT).code());
        assertArrayEquals(input, out.toByteArray());
    }

    @Test
    void stdinOptionIsWrittenThenClosed() {
        ExecResult r = client.run(ExecOptions.of("wc", "-c").stdin("hello".getBytes(StandardCharsets.UTF_8)).build());
        assertEquals("5", r.stdoutText().trim());
    }

    @Test
    void ptyHasTerminalAndSize() {
        ExecResult r = client.run(ExecOptions.of("/bin/sh", "-c", "tty; stty size").tty(40, 100).build());
        String out = r.stdoutText();
        assertTrue(out.contains("/dev/pts/"), out);
        assertTrue(out.contains("40 100"), out);
        assertTrue(r.exit().success());
    }

    @Test
    void ptyResizeReachesTheProcess() throws Exception {
        StringBuffer out = new StringBuffer();
        CompletableFuture<Void> prompt = new CompletableFuture<>();
        ExecSession s = client.exec(ExecOptions.of("/bin/sh", "-c", "stty -echo; echo ready; read x; stty size")
                .tty(24, 80).build(), e -> {
                    if (e instanceof ExecEvent.Stdout o) {
                        out.append(new String(o.data(), StandardCharsets.UTF_8));
                        if (out.indexOf("ready") >= 0) {
                            prompt.complete(null);
                        }
                    }
                });
        prompt.get(60, java.util.concurrent.TimeUnit.SECONDS);
        s.resize(50, 132);
        s.writeStdin("go\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, s.waitFor(WAIT).code());
        assertTrue(out.toString().contains("50 132"), out.toString());
    }

    @Test
    void signalKillsAndIsReported() throws Exception {
        CompletableFuture<Long> started = new CompletableFuture<>();
        ExecSession s = client.exec(ExecOptions.of("sleep", "60").build(), e -> {
            if (e instanceof ExecEvent.Started st) {
                started.complete(st.pid());
            }
        });
        assertTrue(started.get(60, java.util.concurrent.TimeUnit.SECONDS) > 0);
        s.signal(15);
        assertEquals(new ExecExit(128 + 15, 15), s.waitFor(WAIT));
    }

    @Test
    void timeoutKillsTheProcess() throws Exception {
        ExecSession s = client.exec(ExecOptions.of("sleep", "60").timeout(Duration.ofMillis(200)).build(), e -> {
        });
        assertEquals(9, s.waitFor(WAIT).signal());
    }

    @Test
    void eventsArriveInOrder() throws Exception {
        List<ExecEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        client.exec(ExecOptions.of("echo", "x").build(), events::add).waitFor(WAIT);
        assertInstanceOf(ExecEvent.Started.class, events.get(0));
        assertInstanceOf(ExecEvent.Exited.class, events.get(events.size() - 1));
    }

    @Test
    void failureKinds() throws Exception {
        assertEquals(ExecFailureKind.NOT_FOUND, failure(ExecOptions.of("/nonexistent/program").build()));
        Path noExec = Files.writeString(dir.resolve("noexec.sh"), "#!/bin/sh\necho hi\n");
        assertEquals(ExecFailureKind.PERMISSION_DENIED, failure(ExecOptions.of(noExec.toString()).build()));
        assertEquals(ExecFailureKind.PERMISSION_DENIED, failure(ExecOptions.of(dir.toString()).build()),
                "execve(2) of a directory is EACCES");
        assertEquals(ExecFailureKind.BAD_CWD, failure(ExecOptions.of("true").cwd("/nonexistent/dir").build()));
        assertEquals(ExecFailureKind.USER_SETUP_FAILED,
                failure(ExecOptions.of("true").user("no-such-user-msb").build()));
        assertEquals(ExecFailureKind.BAD_ARGS,
                failure(ExecOptions.of("true").rlimit(new Rlimit("bogus", 1, 1)).build()));
        // above fs.nr_open: setrlimit(2) refuses it even for root
        assertEquals(ExecFailureKind.RESOURCE_LIMIT,
                failure(ExecOptions.of("true").rlimit(new Rlimit("nofile", 1L << 40, 1L << 40)).build()));
        Path garbage = dir.resolve("garbage.bin");
        Files.write(garbage, new byte[] { 0x7f, 1, 2, 3, 4, 5 });
        garbage.toFile().setExecutable(true);
        assertEquals(ExecFailureKind.NOT_EXECUTABLE, failure(ExecOptions.of(garbage.toString()).build()));
    }

    private static ExecFailureKind failure(ExecOptions o) {
        List<ExecEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecSession s = client.exec(o, events::add);
        ExecFailedException e = assertThrows(ExecFailedException.class, () -> s.waitFor(WAIT));
        ExecEvent last = events.get(events.size() - 1);
        assertEquals(e.kind(), assertInstanceOf(ExecEvent.Failed.class, last).kind());
        assertThrows(ExecFailedException.class, () -> client.run(o));
        return e.kind();
    }

    @Test
    void bigOutputIsStreamedCompletely() throws Exception {
        long size = 128L * 1024 * 1024;
        AtomicLong seen = new AtomicLong();
        AtomicLong checksum = new AtomicLong();
        ExecSession s = client.exec(ExecOptions.of("head", "-c", Long.toString(size), "/dev/zero").build(), e -> {
            if (e instanceof ExecEvent.Stdout o) {
                seen.addAndGet(o.data().length);
                for (byte b : o.data()) {
                    checksum.addAndGet(b);
                }
            }
        });
        assertEquals(0, s.waitFor(WAIT.multipliedBy(5)).code());
        assertEquals(size, seen.get());
        assertEquals(0, checksum.get());
    }

    @Test
    void bigCollectedOutputOnStdoutAndStderr() {
        ExecResult r = sh("head -c 104857600 /dev/urandom | tee /dev/stderr | sha256sum");
        assertEquals(0, r.exit().code());
        assertEquals(104857600, r.stderr().length);
        assertTrue(r.stdoutText().startsWith(sha256(r.stderr())), r.stdoutText());
    }

    static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void manyConcurrentSessions() throws Exception {
        int n = 200;
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String word = "session-" + i;
                results.add(pool.submit(() -> client.run(ExecOptions.of("/bin/sh", "-c", "echo " + word + "; exit "
                        + (word.length() % 7)).build())));
            }
            for (int i = 0; i < n; i++) {
                ExecResult r = results.get(i).get();
                String word = "session-" + i;
                assertEquals(word + "\n", r.stdoutText());
                assertEquals(word.length() % 7, r.exit().code());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, client.pendingSessions());
    }
}
