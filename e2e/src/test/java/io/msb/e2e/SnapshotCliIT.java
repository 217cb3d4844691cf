package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots as a user takes them, the distribution's {@code bin/msb} against its server with real VMs. Disk snapshots
 * (decisions 1236, 1237): a running source refused, a stopped one captured, export, remove, import, and {@code msb run
 * --from-snapshot} reading what the source wrote. Resumable ones (decisions 1248-1253): {@code snapshot create
 * --memory} of a running sandbox whose background counter then runs on in {@code msb branch}es and in {@code msb run
 * --from-snapshot}, each under its own hostname, and the requests such a snapshot refuses, naming the field.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class SnapshotCliIT extends BuiltServerIT {
    /** A shell that keeps a variable only in its memory and counts into a file, detached from the exec session. */
    private static final String COUNTER = "setsid sh -c 'kept=42; i=0; while :; do i=$((i + 1));"
            + " echo \"$kept $i\" > /tmp/counter.new && mv /tmp/counter.new /tmp/counter; sleep 0.2; done'"
            + " </dev/null >/dev/null 2>&1 &";

    @TempDir
    Path tmp;

    private static HostCommand.Result ok(String... args) throws Exception {
        return server.msbOk(args);
    }

    @Test
    void snapshotExportImportAndRunFromIt() throws Exception {
        ok("run", "-d", "-n", "cli-snap-src", "builtin:busybox");
        ok("exec", "cli-snap-src", "--", "sh", "-c", "echo installed > /root/installed.txt && sync");
        HostCommand.Result running = server.msb("snapshot", "create", "cli-snap-src", "snap");
        assertEquals(125, running.exit(), running.output());
        assertTrue(running.output().contains("cannot snapshot sandbox cli-snap-src: it is running"), running.output());

        ok("stop", "cli-snap-src");
        assertEquals("snap", ok("snapshot", "create", "-l", "k=v", "cli-snap-src", "snap").output().strip());
        assertEquals("snap", ok("snapshot", "ls", "-q").output().strip());
        JsonNode inspected = new ObjectMapper().readTree(ok("snapshot", "inspect", "snap").output());
        assertEquals("cli-snap-src", inspected.get("source_sandbox").asText());
        assertEquals("v", inspected.at("/labels/k").asText());
        assertTrue(inspected.get("digest").asText().startsWith("sha256:"), inspected.toString());
        assertEquals("snap: ok", ok("snapshot", "verify", "snap").output().strip());
        ok("rm", "-f", "cli-snap-src");

        Path tar = tmp.resolve("snap.tar");
        ok("snapshot", "export", "-o", tar.toString(), "snap");
        assertTrue(Files.size(tar) > 0);
        ok("snapshot", "rm", "snap");
        assertEquals("", ok("snapshot", "ls", "-q").output().strip());
        assertFalse(Files.exists(server.home.resolve("snapshots/snap")));
        assertEquals("snap", ok("snapshot", "import", tar.toString()).output().strip());

        HostCommand.Result run = ok("run", "--rm", "--from-snapshot", "snap", "cat", "/root/installed.txt");
        assertEquals("installed", run.output().strip());
        ok("snapshot", "rm", "snap");
    }

    @Test
    void memorySnapshotBranchesAndRunsOnThroughTheCli() throws Exception {
        List<String> sandboxes = List.of("cli-mem-src", "br-1", "br-2", "cli-mem-run");
        try {
            ok("run", "-d", "-n", "cli-mem-src", "-c", "1", "builtin:busybox");
            ok("exec", "cli-mem-src", "--", "sh", "-c", COUNTER);
            long before = countsOn("cli-mem-src", 0);

            assertEquals("mem-snap", ok("snapshot", "create", "--memory", "cli-mem-src", "mem-snap").output().strip());
            assertEquals("yes", column(ok("snapshot", "ls").output(), "mem-snap", "RESUMABLE"));
            countsOn("cli-mem-src", before); // the source runs on after its capture

            assertEquals(List.of("br-1", "br-2"),
                    ok("branch", "mem-snap", "2", "--name-prefix", "br").output().strip().lines().toList());
            countsOn("br-1", countsOn("br-1", before)); // restored where the capture found it, and counting on
            assertEquals("br-2", ok("exec", "br-2", "hostname").output().strip());

            HostCommand.Result otherMachine = server.msb("run", "--rm", "--from-snapshot", "mem-snap", "-c", "2",
                    "true");
            assertEquals(125, otherMachine.exit(), otherMachine.output());
            assertTrue(otherMachine.output().contains("cpus") && otherMachine.output().contains("saved VM"),
                    otherMachine.output());
            ok("run", "-d", "-n", "cli-mem-run", "--from-snapshot", "mem-snap");
            countsOn("cli-mem-run", before);
            assertEquals("cli-mem-run", ok("exec", "cli-mem-run", "hostname").output().strip());

            ok("stop", "cli-mem-src");
            ok("snapshot", "create", "cli-mem-src", "disk-snap");
            HostCommand.Result diskBranch = server.msb("branch", "disk-snap", "1");
            assertEquals(125, diskBranch.exit(), diskBranch.output());
            assertTrue(diskBranch.output().contains("name") && diskBranch.output().contains("disk snapshot"),
                    diskBranch.output());
        } finally {
            for (String sandbox : sandboxes) {
                server.msb("rm", "-f", sandbox);
            }
            server.msb("snapshot", "rm", "mem-snap");
            server.msb("snapshot", "rm", "disk-snap");
        }
        List<String> left = ok("snapshot", "ls", "-q").output().lines().toList();
        assertFalse(left.contains("mem-snap") || left.contains("disk-snap"), left.toString());
    }

    /**
     * Waits for the counter in {@code sandbox} to pass {@code above} (it may not have written its file yet), checking
     * that the shell kept its variable; returns the count it read.
     */
    private static long countsOn(String sandbox, long above) throws Exception {
        HostCommand.Result read = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            read = server.msb("exec", sandbox, "--", "cat", "/tmp/counter");
            if (read.exit() == 0) {
                String[] counter = read.output().strip().split(" ");
                assertEquals("42", counter[0], sandbox + ": the shell's variable");
                if (Long.parseLong(counter[1]) > above) {
                    return Long.parseLong(counter[1]);
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError(sandbox + "'s counter did not pass " + above + ": " + read.output());
    }

    /** The cell of a table (as msb's listings print it) in {@code row}'s line under {@code header}. */
    private static String column(String table, String row, String header) {
        List<String> lines = table.lines().toList();
        int start = lines.get(0).indexOf(header);
        String line = lines.stream().filter(l -> l.startsWith(row + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + row + " in:\n" + table));
        assertTrue(start >= 0, table);
        return line.substring(start).split("\\s+")[0];
    }
}
