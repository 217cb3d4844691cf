package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts through the server as users start it (decision 1200): {@code msb run -v HOST:GUEST --tmpfs GUEST:SIZE}, and
 * a create body with {@code mounts} exactly in the official SDK's shape, whose response lists them PascalCase.
 */
class MountsCliIT extends BuiltServerIT {

    @TempDir
    Path tmp;

    @Test
    void runMountsAHostDirectoryAndATmpfs() throws Exception {
        Path dir = shared("in.txt", "from the host\n");
        HostCommand.Result run = server.msb("run", "--rm", "-v", dir + ":/work", "--tmpfs", "/t:8M", "builtin:busybox",
                "--", "sh", "-c", "cat /work/in.txt && echo from the guest > /work/out.txt && df -k /t | tail -n 1");
        assertEquals(0, run.exit(), run.output() + server.logTail());
        assertTrue(run.output().startsWith("from the host\n"), run.output());
        assertTrue(run.output().matches("(?s).*tmpfs\\s+8192\\s.*/t\\n"), run.output());
        assertEquals("from the guest\n", Files.readString(dir.resolve("out.txt")));

        HostCommand.Result ro = server.msb("run", "--rm", "-v", dir + ":/work:ro", "builtin:busybox", "--", "touch",
                "/work/nope");
        assertEquals(1, ro.exit(), ro.output());
        assertTrue(ro.output().contains("Read-only file system"), ro.output());
    }

    @Test
    void theSdksCreateBodyWithMounts() throws Exception {
        Path dir = shared("sdk.txt", "mounted through the cloud API\n");
        String body = "{\"name\":\"sdk-mounts\",\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"},"
                + "\"resources\":{\"vcpus\":1,\"memory_mib\":256},\"runtime\":{\"workdir\":null,\"shell\":null,"
                + "\"scripts\":{},\"entrypoint\":null,\"cmd\":null,\"user\":null,\"log_level\":null},\"env\":[],"
                + "\"labels\":{},\"rlimits\":[],\"mounts\":["
                + "{\"type\":\"bind\",\"host\":\"" + dir + "\",\"guest\":\"/data\",\"options\":{\"readonly\":true,"
                + "\"noexec\":false,\"nosuid\":false,\"nodev\":false},\"stat_virtualization\":\"strict\","
                + "\"host_permissions\":\"private\",\"quota_mib\":null},"
                + "{\"type\":\"tmpfs\",\"guest\":\"/scratch\",\"size_mib\":32,\"options\":{\"readonly\":false,"
                + "\"noexec\":true,\"nosuid\":true,\"nodev\":true}}],"
                + "\"patches\":[],\"network\":{\"enabled\":false,\"strict\":false},\"init\":null,"
                + "\"pull_policy\":\"if_missing\",\"security_profile\":\"default\",\"lifecycle\":{\"ephemeral\":false,"
                + "\"max_duration_secs\":null,\"idle_timeout_secs\":null}}";
        HttpResponse<String> created = server.api("POST", "/v1/sandboxes?wait_for=running", body);
        assertTrue(created.statusCode() / 100 == 2, created.statusCode() + " " + created.body() + server.logTail());
        JsonNode mounts = new ObjectMapper().readTree(created.body()).at("/spec/mounts");
        assertEquals("Bind", mounts.get(0).get("type").asText(), mounts.toString());
        assertEquals(dir.toRealPath().toString(), mounts.get(0).get("host").asText());
        assertTrue(mounts.get(0).at("/options/readonly").asBoolean());
        assertEquals("Tmpfs", mounts.get(1).get("type").asText());
        assertEquals(32, mounts.get(1).get("size_mib").asInt());

        HostCommand.Result cat = server.msb("exec", "sdk-mounts", "--", "sh", "-c",
                "cat /data/sdk.txt && grep ' /scratch ' /proc/mounts");
        assertEquals(0, cat.exit(), cat.output());
        assertTrue(cat.output().startsWith("mounted through the cloud API\n"), cat.output());
        assertTrue(cat.output().contains("size=32768k") && cat.output().contains("noexec"), cat.output());

        HttpResponse<String> refused = server.api("POST", "/v1/sandboxes", body.replace("sdk-mounts", "sdk-bad")
                .replace("\"guest\":\"/data\"", "\"guest\":\"/proc/data\""));
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("mounts[0].guest"), refused.body());
        assertEquals(0, server.msb("rm", "-f", "sdk-mounts").exit());
    }

    /** A directory QEMU may write in whatever user it runs as (decision 1201), with one file. */
    private Path shared(String file, String content) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("share"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(dir.resolve(file), content);
        return dir;
    }
}
