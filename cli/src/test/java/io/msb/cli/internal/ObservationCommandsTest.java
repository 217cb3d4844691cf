package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** msb top, ps NAME, stats --no-stream, info, and --format/--json/-q on the listings, against a scripted server. */
class ObservationCommandsTest extends ScriptedCliTest {
    private static final String SANDBOX = "{\"id\":\"a1\",\"name\":\"box\",\"status\":\"running\",\"created_at\":"
        + "\"2026-12-06T12:00:01.5Z\",\"spec\":{\"image\":\"builtin:busybox\",\"resources\":{\"vcpus\":2,\"memory_mib\":512}}}";
    private static final String PROCESSES = "{\"data\":[{\"pid\":1,\"ppid\":0,\"user\":\"root\",\"state\":\"S\","
        + "\"cpu_time_ms\":250,\"elapsed_ms\":10000,\"rss_bytes\":2097152,\"command\":\"/init\"},"
        + "{\"pid\":57,\"ppid\":1,\"user\":\"nobody\",\"state\":\"R\",\"cpu_time_ms\":3723000,\"elapsed_ms\":3724000,"
        + "\"rss_bytes\":1024,\"command\":\"sleep 100\"}]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void topListsTheGuestProcessesWithCpuPercentAndTime() {
        server.on("GET /v1/sandboxes/by-name/box/processes", 200, PROCESSES);
        assertEquals(0, msb("top", "box"), stderr());
        assertEquals("""
            PID   USER     %CPU    TIME      RSS       STAT   COMMAND
            1     root     2.5     0:00      2.0 MiB   S      /init
            57    nobody   100.0   1:02:03   1.0 KiB   R      sleep 100
            """, stdout());
        out.reset();
        assertEquals(0, msb("ps", "box", "-q"), stderr());
        assertEquals("1\n57\n", stdout());
        out.reset();
        assertEquals(0, msb("top", "box", "--format", "{{.PID}}:{{.PPID}}:{{.Command}}"), stderr());
        assertEquals("1:0:/init\n57:1:sleep 100\n", stdout());
    }

    @Test
    void listingsTakeTemplatesJsonLinesAndRefuseBadFields() throws Exception {
        server.on("GET /v1/sandboxes?limit=100", 200, "{\"data\":[" + SANDBOX + "],\"has_more\":false}");
        assertEquals(0, msb("ls", "--format", "{{.Name}}\\t{{.Status}} {{.Cpus}}"), stderr());
        assertEquals("box\trunning 2\n", stdout());
        out.reset();
        assertEquals(0, msb("ps", "--format", "table {{.Name}}\\t{{.MemoryMib}}"), stderr());
        assertEquals("NAME   MEMORY (MiB)\nbox    512\n", stdout());
        out.reset();
        assertEquals(0, msb("ls", "--format", "json"), stderr());
        assertEquals("box", JSON.readTree(stdout().strip()).get("name").asText());
        out.reset();
        assertEquals(125, msb("ls", "--format", "{{.Nmae}}"));
        assertEquals("msb: --format: unknown field .Nmae at character 1 (fields: .Name, .Status, .Image, .Backend, .Created, .ID, "
            + ".Cpus, .MemoryMib)\n", stderr());
        err.reset();
        assertEquals(125, msb("ls", "--json", "--format", "json"));
        assertEquals("msb: --json and --format: give one of them\n", stderr());
    }

    @Test
    void mixedOptionsAreRefusedNamingWhatToLeaveOut() {
        assertEquals(125, msb("ps", "box", "-l", "team=infra"));
        assertEquals("msb: --label selects sandboxes: leave it out with NAME\n", stderr());
        err.reset();
        assertEquals(125, msb("top", "box", "-q", "--json"));
        assertEquals("msb: -q prints the keys only: leave out --json\n", stderr());
        err.reset();
        assertEquals(125, msb("stats", "--no-stream", "--format", "table {{.Name}}\\t{{.Mem}}", "box"));
        assertEquals("msb: --format: unknown field .Mem at character 12 (fields: .Name, .CPUPerc, .MemUsage, .MemPerc, "
            + ".RSS, .NetIO, .BlockIO, .MemLimit, .ID, .PID)\n", stderr());
        assertEquals(List.of(), server.lines()); // all refused before the server is asked
    }

    @Test
    void inspectTakesATemplateOfTheListingFields() {
        server.on("GET /v1/sandboxes/by-name/box", 200, SANDBOX);
        assertEquals(0, msb("inspect", "--format", "{{.ID}} {{.Image}}", "box"), stderr());
        assertEquals("a1 builtin:busybox\n", stdout());
    }

    @Test
    void statsNoStreamPrintsOneSnapshotFromTwoSamples() throws Exception {
        String metrics = "{\"id\":\"a1\",\"name\":\"box\",\"pid\":4242,\"cpu_time_ms\":%d,\"rss_bytes\":104857600,"
            + "\"sampled_at\":\"%s\",\"guest_memory\":{\"total_bytes\":536870912,\"available_bytes\":402653184,"
            + "\"used_bytes\":134217728},\"network\":{\"rx_bytes\":2048,\"tx_bytes\":1048576,\"rx_packets\":3,\"tx_packets\":4}}";
        server.on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1000, "2026-12-06T12:00:00Z"))
            .on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1500, "2026-12-06T12:00:01Z"));
        assertEquals(0, msb("stats", "--no-stream", "box"), stderr());
        assertEquals("""
            NAME   CPU %    MEM USAGE / LIMIT       MEM %    VM RSS      NET I/O             BLOCK I/O   MEM LIMIT
            box    50.00%   128.0 MiB / 512.0 MiB   25.00%   100.0 MiB   2.0 KiB / 1.0 MiB   --          --
            """, stdout());
        assertEquals(List.of("GET /v1/sandboxes/by-name/box/metrics", "GET /v1/sandboxes/by-name/box/metrics"),
            server.lines());
    }

    /** A server of decision 1877 also sends microsandbox's figures: disk I/O, the memory limit, its own CPU %. */
    @Test
    void statsShowsBlockIoAndTheMemoryLimitAndItsJsonCarriesMicrosandboxsFields() throws Exception {
        String metrics = "{\"id\":\"a1\",\"name\":\"box\",\"pid\":4242,\"cpu_time_ms\":%d,\"rss_bytes\":104857600,"
            + "\"sampled_at\":\"%s\",\"guest_memory\":null,\"network\":null,\"cpu_percent\":%s,"
            + "\"vcpu_time_ns\":1000000000,\"memory_limit_bytes\":536870912,\"disk_read_bytes\":3145728,"
            + "\"disk_write_bytes\":4096,\"net_rx_bytes\":0,\"net_tx_bytes\":0,\"uptime_secs\":12.5}";
        server.on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1000, "2026-12-06T12:00:00Z", "8"))
            .on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1250, "2026-12-06T12:00:01Z", "9"))
            .on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1000, "2026-12-06T12:00:00Z", "8"))
            .on("GET /v1/sandboxes/by-name/box/metrics", 200, String.format(metrics, 1250, "2026-12-06T12:00:01Z", "9"));
        assertEquals(0, msb("stats", "--no-stream", "box"), stderr());
        assertEquals("""
            NAME   CPU %    MEM USAGE / LIMIT   MEM %   VM RSS      NET I/O   BLOCK I/O           MEM LIMIT
            box    25.00%   --                  --      100.0 MiB   --        3.0 MiB / 4.0 KiB   512.0 MiB
            """, stdout());
        assertEquals(0, msb("stats", "--no-stream", "--format", "json", "box"), stderr());
        JsonNode row = JSON.readTree(stdout().substring(stdout().indexOf("{")));
        assertEquals(25.0, row.get("cpu_percent").asDouble(), "the two samples' figure, not the server's");
        assertEquals(3145728, row.get("disk_read_bytes").asLong());
        assertEquals(536870912, row.get("memory_limit_bytes").asLong());
        assertEquals(12.5, row.get("uptime_secs").asDouble());
    }

    @Test
    void withoutAnEarlierSampleTheServersCpuPercentStands() throws Exception {
        JsonNode now = JSON.readTree("{\"pid\":1,\"cpu_time_ms\":100,\"sampled_at\":\"2026-12-06T12:00:00Z\","
            + "\"cpu_percent\":7.5}");
        assertEquals(7.5, StatsCommand.row(null, now).get("cpu_percent").asDouble());
        JsonNode old = JSON.readTree("{\"pid\":1,\"cpu_time_ms\":100,\"sampled_at\":\"2026-12-06T12:00:00Z\"}");
        assertTrue(StatsCommand.row(null, old).get("cpu_percent").isNull(), "an older server sends none");
    }

    @Test
    void cpuPercentComparesTwoSamplesOfOneVm() throws Exception {
        JsonNode a = JSON.readTree("{\"pid\":1,\"cpu_time_ms\":100,\"sampled_at\":\"2026-12-06T12:00:00Z\"}");
        JsonNode b = JSON.readTree("{\"pid\":1,\"cpu_time_ms\":2100,\"sampled_at\":\"2026-12-06T12:00:01Z\"}");
        assertEquals(200.0, StatsCommand.cpuPercent(a, b)); // two busy cores
        assertNull(StatsCommand.cpuPercent(b, a)); // time going backwards
        JsonNode restarted = JSON.readTree("{\"pid\":2,\"cpu_time_ms\":5,\"sampled_at\":\"2026-12-06T12:00:02Z\"}");
        assertNull(StatsCommand.cpuPercent(b, restarted));
        JsonNode bad = JSON.readTree("{\"pid\":1,\"cpu_time_ms\":2200,\"sampled_at\":\"yesterday\"}");
        assertNull(StatsCommand.cpuPercent(b, bad));
        assertEquals(0.0, TopCommand.percent(0, 0));
        assertEquals("1:02:03", TopCommand.clock(3_723_000));
    }

    @Test
    void infoPrintsFactsForPeopleAndFieldsForScripts() {
        String info = "{\"version\":\"0.1.0\",\"protocol\":7,\"home\":\"/h\",\"default_backend\":\"qemu\","
            + "\"backends\":[{\"name\":\"qemu\",\"available\":true,\"selected\":true,\"acceleration\":\"tcg\","
            + "\"guest_kernel\":\"6.1.0-57-cloud-amd64\",\"min_cpus\":1,\"max_cpus\":255,\"min_memory_mib\":64,"
            + "\"max_memory_mib\":1048576,\"features\":[\"NETWORK\",\"TCG\"]}],\"sandboxes\":{\"running\":2,"
            + "\"stopped\":1},\"images\":3}";
        server.on("GET /v1/info", 200, info).on("GET /v1/info", 200, info);
        assertEquals(0, msb("info"), stderr());
        String text = stdout();
        assertTrue(text.contains("Sandboxes:       3 (running 2, stopped 1)\n"), text);
        assertTrue(text.contains("  Acceleration:  TCG\n"), text);
        assertTrue(text.contains("  Guest kernel:  6.1.0-57-cloud-amd64\n"), text);
        assertTrue(text.contains("  Memory:        64-1048576 MiB\n"), text);
        out.reset();
        assertEquals(0, msb("info", "--format", "{{.Acceleration}} {{.Kernel}} {{.Running}}/{{.Sandboxes}} {{.Images}}"),
            stderr());
        assertEquals("tcg 6.1.0-57-cloud-amd64 2/3 3\n", stdout());
    }

    @Test
    void infoShowsTheWarmPools() throws Exception {
        String info = "{\"version\":\"0.1.0\",\"protocol\":7,\"home\":\"/h\",\"default_backend\":\"qemu\","
            + "\"backends\":[],\"sandboxes\":{},\"images\":1,\"pools\":["
            + "{\"image\":\"builtin:busybox\",\"cpus\":1,\"memory_mib\":512,\"network\":true,\"size\":2,"
            + "\"ready\":1,\"taken\":3,\"missed\":1,\"last_error\":null},"
            + "{\"image\":\"python:3.12\",\"cpus\":2,\"memory_mib\":1024,\"network\":false,\"size\":1,"
            + "\"ready\":0,\"taken\":0,\"missed\":2,\"last_error\":\"no space left on device\"}]}";
        server.on("GET /v1/info", 200, info).on("GET /v1/info", 200, info).on("GET /v1/info", 200, info);
        assertEquals(0, msb("info"), stderr());
        String text = stdout();
        assertTrue(text.contains("Warm pools:      2\n"
            + "  Pool:          builtin:busybox (1 vCPU, 512 MiB, network)\n"
            + "  Ready:         1 of 2\n"
            + "  Served:        3 taken, 1 missed (none ready)\n"
            + "  Pool:          python:3.12 (2 vCPUs, 1024 MiB, no network)\n"
            + "  Ready:         0 of 1\n"
            + "  Served:        0 taken, 2 missed (none ready)\n"
            + "  Last error:    no space left on device\n"), text);
        out.reset();
        assertEquals(0, msb("info", "--format", "{{.Pools}} {{.PoolsReady}} {{.PoolsTaken}} {{.PoolsMissed}}"), stderr());
        assertEquals("2 1 3 3\n", stdout());
        out.reset();
        assertEquals(0, msb("info", "--json"), stderr());
        assertEquals("no space left on device", JSON.readTree(stdout()).path("pools").path(1).path("last_error").asText());
    }

    @Test
    void infoSaysWhenThereAreNoWarmPoolsAndOlderServersSendNone() {
        String none = "{\"version\":\"0.1.0\",\"home\":\"/h\",\"backends\":[],\"sandboxes\":{},\"pools\":[]}";
        String older = "{\"version\":\"0.1.0\",\"home\":\"/h\",\"backends\":[],\"sandboxes\":{}}";
        server.on("GET /v1/info", 200, none).on("GET /v1/info", 200, older).on("GET /v1/info", 200, older);
        assertEquals(0, msb("info"), stderr());
        assertTrue(stdout().contains("Warm pools:      none\n"), stdout());
        out.reset();
        assertEquals(0, msb("info"), stderr());
        assertFalse(stdout().contains("Warm pools"), stdout());
        out.reset();
        assertEquals(0, msb("info", "--format", "{{.Pools}} {{.PoolsReady}}"), stderr());
        assertEquals("0 0\n", stdout());
    }
}
