package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk snapshots as a user takes them (decisions 1236, 1237): the distribution's {@code bin/msb} against its server,
 * with real VMs — a running source refused, a stopped one captured, export, remove, import, and {@code msb run
 * --from-snapshot} reading what the source wrote.
 */
class SnapshotCliIT extends BuiltServerIT {

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
}
