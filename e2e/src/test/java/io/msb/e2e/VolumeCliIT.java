package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code msb volume create|ls|inspect|rm|prune} (decision 1214) as a user runs them: the distribution's
 * {@code bin/msb} against its server started with {@code bin/msb-server}. No VM is booted.
 */
class VolumeCliIT extends BuiltServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HostCommand.Result ok(String... args) throws Exception {
        return server.msbOk(args);
    }

    @Test
    void volumesGoRoundTripThroughTheCli() throws Exception {
        assertEquals("cache", ok("volume", "create", "--quota", "64", "--label", "team=a", "cache").output().strip());
        assertEquals("blk", ok("volume", "create", "--kind", "disk", "--capacity", "16", "blk").output().strip());
        Path data = server.home.resolve("volumes/cache/data");
        assertTrue(Files.isDirectory(data), data.toString());
        assertTrue(Files.isRegularFile(server.home.resolve("volumes/blk/disk.ext4")));
        Files.writeString(data.resolve("f"), "12345");

        String table = ok("volume", "ls").output();
        String[] lines = table.split("\n");
        assertTrue(lines[0].matches("NAME +KIND +USED +LIMIT +IN USE BY +CREATED"), table);
        assertTrue(lines[1].matches("blk +disk +.* +16\\.0 MiB +- +.*"), table);
        assertTrue(lines[2].matches("cache +dir +5 B +64\\.0 MiB +- +.*"), table);
        assertEquals("blk\ncache", ok("volume", "ls", "-q").output().strip());

        JsonNode listed = JSON.readTree(ok("volume", "ls", "--json").output());
        assertEquals(2, listed.size());
        JsonNode inspected = JSON.readTree(ok("volume", "inspect", "cache").output());
        assertEquals("cache", inspected.get("name").asText());
        assertEquals("a", inspected.get("labels").get("team").asText());
        assertEquals(64L << 20, inspected.get("capacity_bytes").asLong());
        assertEquals(5, inspected.get("used_bytes").asLong());
        assertEquals(inspected, JSON.readTree(ok("volume", "inspect", "--json", "cache").output()));

        HostCommand.Result bad = server.msb("volume", "create", "no/slash");
        assertEquals(125, bad.exit(), bad.output());
        assertTrue(bad.output().contains("name: must be 1-63 characters"), bad.output());
        HostCommand.Result dup = server.msb("volume", "create", "cache");
        assertEquals(125, dup.exit(), dup.output());
        assertTrue(dup.output().contains("already exists"), dup.output());

        // rm goes on past a name that fails, and says which
        HostCommand.Result rm = server.msb("volume", "rm", "nope", "blk");
        assertEquals(125, rm.exit(), rm.output());
        assertTrue(rm.output().contains("no such volume: nope"), rm.output());
        assertTrue(rm.output().contains("blk"), rm.output());
        assertFalse(Files.exists(server.home.resolve("volumes/blk")));

        ok("volume", "create", "spare");
        // prune asks first: without a yes (stdin is empty here) nothing is removed
        HostCommand.Result asked = ok("volume", "prune");
        assertTrue(asked.output().contains("Are you sure you want to continue? [y/N]"), asked.output());
        assertEquals("cache\nspare", ok("volume", "ls", "-q").output().strip());
        List<String> pruned = new ArrayList<>(ok("volume", "prune", "-f").output().strip().lines().toList());
        assertEquals(List.of("cache", "spare"), pruned);
        assertEquals("", ok("volume", "ls", "-q").output().strip());
        assertFalse(Files.exists(data));
    }
}
