package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import io.msb.api.PlatformInfo;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkAddresses;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PublishedPort;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The wire's JSON read strictly and mapped to the platform's types, and the platform's types written back. */
class MappingTest {

    private static SandboxSpec create(String json) {
        return Mapping.spec(Json.parse(json.getBytes(StandardCharsets.UTF_8), Wire.CreateRequest.class));
    }

    private static ExecOptions exec(String json) {
        return Mapping.exec(Json.parse(json.getBytes(StandardCharsets.UTF_8), Wire.ExecRequest.class), 3600);
    }

    /** The message of the 400 that reading or mapping {@code json} ends in. */
    private static String rejected(String json) {
        ApiException e = assertThrows(ApiException.class, () -> create(json));
        assertEquals(400, e.status());
        assertEquals("invalid_request", e.code());
        return e.getMessage();
    }

    @Test
    void everySupportedFieldReachesTheSpec() {
        SandboxSpec s = create("""
                {"name":"box","image":{"type":"oci","reference":"alpine:3.20"},
                 "env":[{"key":"A","value":"1"},{"key":"B","value":""}],
                 "labels":{"team":"x"},
                 "lifecycle":{"ephemeral":true,"idle_timeout_secs":30,"max_duration_secs":600},
                 "resources":{"vcpus":2,"memory_mib":256,"disk_size_mib":1024},
                 "runtime":{"user":"nobody","workdir":"/tmp","shell":"/bin/ash","cmd":null},
                 "pull_policy":"never","network":{"enabled":false},"mounts":[],
                 "rlimits":[{"resource":"nofile","soft":512,"hard":1024}],
                 "security_profile":"default","slug":"box"}""");
        assertEquals("box", s.name());
        assertEquals(RootfsSource.image("alpine:3.20"), s.rootfs());
        assertEquals(Map.of("A", "1", "B", ""), s.env());
        assertEquals(Map.of("team", "x"), s.labels());
        assertTrue(s.ephemeral());
        assertEquals(Duration.ofSeconds(30), s.idleTimeout());
        assertEquals(Duration.ofSeconds(600), s.maxDuration());
        assertEquals(2, s.cpus());
        assertEquals(256, s.memoryMib());
        assertEquals(1024, s.diskSizeMib());
        assertEquals("nobody", s.user());
        assertEquals("/tmp", s.workdir());
        assertEquals("/bin/ash", s.shell());
        assertEquals(PullPolicy.NEVER, s.pullPolicy());
        assertTrue(s.detached(), "a server's sandboxes outlive the request that made them");
        assertEquals(List.of(new Rlimit("nofile", 512, 1024)), s.rlimits());
    }

    /** msb's extension (decision 1236): from_snapshot instead of an image, never with one. */
    @Test
    void fromSnapshotTakesThePlaceOfTheImage() {
        SandboxSpec s = create("{\"name\":\"b\",\"from_snapshot\":\"snap\",\"resources\":{\"vcpus\":2}}");
        assertEquals("snap", s.fromSnapshot());
        assertNull(s.rootfs());
        assertEquals(2, s.cpus());
        assertEquals("image: cannot be combined with from_snapshot", rejected(
                "{\"name\":\"b\",\"from_snapshot\":\"snap\",\"image\":{\"type\":\"oci\",\"reference\":\"alpine\"}}"));
        assertEquals("image: is required", rejected("{\"name\":\"b\"}"));
    }

    /** msb's extension (decision 1706): the backend that runs the sandbox; the runtime checks the name. */
    @Test
    void backendNamesTheBackendThatRunsTheSandbox() {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"alpine\"}";
        assertEquals("libkrun", create("{" + ok + ",\"backend\":\"libkrun\"}").backend());
        assertNull(create("{" + ok + "}").backend(), "absent: the platform's default");
        assertNull(create("{" + ok + ",\"backend\":null}").backend());
        assertEquals("backend: must be a string", rejected("{" + ok + ",\"backend\":7}"));
        assertEquals("backend: must be a string", rejected("{" + ok + ",\"backend\":[\"qemu\"]}"));
    }

    @Test
    void responsesCarryTheBackendAndWhetherItIsThere() {
        Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
        SandboxInfo info = new SandboxInfo(UUID.randomUUID(), "box", SandboxStatus.RUNNING,
                SandboxSpec.builder("box").image("alpine").backend("qemu").build(), t0, t0, Optional.empty(),
                Optional.empty(), false);
        JsonNode json = Json.MAPPER.valueToTree(Mapping.response(info));
        assertEquals("qemu", json.get("backend").asText());
        assertFalse(json.get("backend_available").asBoolean());
        assertEquals("running", json.get("status").asText(), "the last known status, not a crash");
        JsonNode old = Json.MAPPER.valueToTree(Mapping.response(new SandboxInfo(UUID.randomUUID(), "old",
                SandboxStatus.STOPPED, SandboxSpec.builder("old").image("alpine").build(), t0, t0, Optional.empty(),
                Optional.empty())));
        assertTrue(old.get("backend").isNull(), "a record from before backends names none");
        assertTrue(old.get("backend_available").asBoolean());
    }

    @Test
    void absentFieldsTakeThePlatformsDefaults() {
        SandboxSpec s = create("{\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"},"
                + "\"resources\":{\"vcpus\":1}}");
        assertEquals(0, s.memoryMib());
        assertEquals(0, s.diskSizeMib());
        assertEquals(PullPolicy.IF_MISSING, s.pullPolicy());
        assertFalse(s.ephemeral());
        assertNull(s.idleTimeout());
    }

    @Test
    void hostRootsAreExtensions() {
        assertEquals(new RootfsSource.HostDirectory(Path.of("/srv/root")),
                create("{\"name\":\"b\",\"image\":{\"type\":\"bind\",\"path\":\"/srv/root\"}}").rootfs());
        assertEquals(new RootfsSource.DiskImage(Path.of("/d.qcow2"), RootfsSource.DiskImage.Format.QCOW2),
                create("{\"name\":\"b\",\"image\":{\"type\":\"disk_image\",\"path\":\"/d.qcow2\",\"format\":\"qcow2\"}}").rootfs());
        assertEquals("image.path: must be an absolute host path",
                rejected("{\"name\":\"b\",\"image\":{\"type\":\"bind\",\"path\":\"rel\"}}"));
        assertEquals("image.format: must be raw or qcow2",
                rejected("{\"name\":\"b\",\"image\":{\"type\":\"disk_image\",\"path\":\"/d\",\"format\":\"vmdk\"}}"));
    }

    @Test
    void unknownFieldsAreNamedWithTheirPath() {
        assertEquals("nmae: unknown field", rejected("{\"nmae\":\"b\"}"));
        assertEquals("resources.cpus: unknown field",
                rejected("{\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"},\"resources\":{\"cpus\":2}}"));
        assertEquals("env[1].val: unknown field", rejected("{\"env\":[{\"key\":\"A\",\"value\":\"1\"},{\"val\":\"2\"}]}"));
        assertEquals("runtime.hostname: unknown field", rejected("{\"runtime\":{\"hostname\":\"h\"}}"));
    }

    @Test
    void wrongTypesAreNamed() {
        assertEquals("resources.vcpus: must be an integer", rejected("{\"resources\":{\"vcpus\":\"2\"}}"));
        assertEquals("resources.vcpus: must be an integer", rejected("{\"resources\":{\"vcpus\":1.5}}"));
        assertEquals("name: must be a string", rejected("{\"name\":7}"));
        assertEquals("env: must be an array", rejected("{\"env\":{\"A\":\"1\"}}"));
        assertEquals("lifecycle.ephemeral: must be true or false", rejected("{\"lifecycle\":{\"ephemeral\":\"yes\"}}"));
        assertEquals("request body: must be an object", rejected("[1]"));
        assertEquals("request body: must be a JSON object", rejected(""));
        assertTrue(rejected("{\"name\":\"a\",\"name\":\"b\"}").startsWith("request body: malformed JSON: Duplicate field 'name'"));
        assertTrue(rejected("{\"name\":").startsWith("request body: malformed JSON"));
        assertTrue(rejected("{} {}").startsWith("request body: "));
    }

    @Test
    void rulesNameTheFieldAndTheRule() {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"}";
        assertEquals("name: is required", rejected("{\"image\":{\"type\":\"oci\",\"reference\":\"x\"}}"));
        assertEquals("image: is required", rejected("{\"name\":\"b\"}"));
        assertEquals("image.type: must be oci, bind or disk_image",
                rejected("{\"name\":\"b\",\"image\":{\"type\":\"docker\",\"reference\":\"x\"}}"));
        assertEquals("image.reference: is required", rejected("{\"name\":\"b\",\"image\":{\"type\":\"oci\"}}"));
        InvalidConfigException badImage = assertThrows(InvalidConfigException.class,
                () -> create("{\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"Foo:bar\"}}"));
        assertEquals("image.reference", badImage.field());
        assertTrue(badImage.getMessage().startsWith("invalid config: image.reference: \"Foo:bar\" is not a valid image"
                + " reference: invalid repository component 'Foo'"), badImage.getMessage());
        assertEquals(400, ApiServlet.translate(badImage).status());
        assertEquals("resources.vcpus: must be a whole number from 1 to 2147483647 (omit it for the default)",
                rejected("{" + ok + ",\"resources\":{\"vcpus\":0}}"));
        assertEquals("resources.memory_mib: must be a whole number from 1 to 2147483647 (omit it for the default)",
                rejected("{" + ok + ",\"resources\":{\"memory_mib\":4294967296}}"));
        // the backend's limits are the runtime's: mapped as they are, checked there once
        assertEquals(8, create("{" + ok + ",\"resources\":{\"memory_mib\":8}}").memoryMib());
        assertEquals(300, create("{" + ok + ",\"resources\":{\"vcpus\":300}}").cpus());
        assertEquals("lifecycle.idle_timeout_secs: must be at least 1 second (omit it for no limit)",
                rejected("{" + ok + ",\"lifecycle\":{\"idle_timeout_secs\":0}}"));
        assertEquals("env[0].value: is required", rejected("{" + ok + ",\"env\":[{\"key\":\"A\"}]}"));
        assertEquals("env[1].key: duplicate key A",
                rejected("{" + ok + ",\"env\":[{\"key\":\"A\",\"value\":\"1\"},{\"key\":\"A\",\"value\":\"2\"}]}"));
        assertEquals("env[0].key: must be a non-empty name without '='",
                rejected("{" + ok + ",\"env\":[{\"key\":\"A=B\",\"value\":\"1\"}]}"));
        assertEquals("labels.team: must be a string", rejected("{" + ok + ",\"labels\":{\"team\":null}}"));
        assertEquals("pull_policy: must be one of if_missing, always, never", rejected("{" + ok + ",\"pull_policy\":\"IfMissing\"}"));
        assertEquals("slug: must equal name (the slug of a local sandbox is its name)", rejected("{" + ok + ",\"slug\":\"other\"}"));
        assertEquals("slug: must be 3-63 characters of a-z, 0-9 and -", rejected("{" + ok + ",\"slug\":\"B_x\"}"));
        assertEquals("rlimits[0]: must be an object {resource, soft, hard}",
                rejected("{" + ok + ",\"rlimits\":[{\"resource\":\"nofile\",\"soft\":1}]}"));
        assertEquals("runtime.workdir: must not contain NUL", rejected("{" + ok + ",\"runtime\":{\"workdir\":\"/a\\u0000\"}}"));
    }

    /** The 0.6.18 SDK's body for {@code Sandbox.builder("mini").image("alpine").create()}, byte for byte (facts §2.3). */
    static final String SDK_DEFAULT_BODY = "{\"name\":\"mini\",\"image\":{\"type\":\"oci\",\"reference\":\"alpine\"},"
            + "\"resources\":{\"vcpus\":1,\"memory_mib\":512},\"runtime\":{\"workdir\":null,\"shell\":null,"
            + "\"scripts\":{},\"entrypoint\":null,\"cmd\":null,\"user\":null,\"log_level\":null},\"env\":[],"
            + "\"labels\":{},\"rlimits\":[],\"mounts\":[],\"patches\":[],\"network\":{\"enabled\":true,"
            + "\"strict\":false},\"init\":null,\"pull_policy\":\"if_missing\",\"security_profile\":\"default\","
            + "\"lifecycle\":{\"ephemeral\":false,\"max_duration_secs\":null,\"idle_timeout_secs\":null}}";

    @Test
    void theSdksDefaultBodyIsAccepted() {
        SandboxSpec s = create(SDK_DEFAULT_BODY);
        assertEquals("mini", s.name());
        assertEquals(RootfsSource.image("alpine"), s.rootfs());
        assertEquals(1, s.cpus());
        assertEquals(512, s.memoryMib());
        assertEquals(NetworkConfig.defaults(), s.network());
        assertEquals(PullPolicy.IF_MISSING, s.pullPolicy());
        assertFalse(s.ephemeral());
        assertNull(s.idleTimeout());
        assertNull(s.workdir());
        assertTrue(s.mounts().isEmpty());
        // and with registry auto, the default the server also accepts spelled out
        assertEquals("mini", create(sdkBodyWith("{\"registry\":{\"mode\":\"auto\"}}")).name());
    }

    /** The SDK's default body with some top-level fields replaced. */
    private static String sdkBodyWith(String fields) {
        try {
            ObjectNode body = (ObjectNode) Json.MAPPER.readTree(SDK_DEFAULT_BODY);
            body.setAll((ObjectNode) Json.MAPPER.readTree(fields));
            return Json.MAPPER.writeValueAsString(body);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Each field whose feature is missing: its default passes (above), anything else is a 400 naming it. */
    @Test
    void fieldsThePlatformCannotHonourYetAreRefusedOnlyWhenTheyAskForSomething() {
        String[][] cases = {
            {"\"patches\":[{\"type\":\"mkdir\",\"path\":\"/x\"}]", "patches: not supported yet"},
            {"\"runtime\":{\"cmd\":[\"sh\"]}", "runtime.cmd: not supported yet (run commands with exec)"},
            {"\"runtime\":{\"entrypoint\":[\"sh\"]}", "runtime.entrypoint: not supported yet"},
            {"\"runtime\":{\"scripts\":{\"a\":\"echo\"}}", "runtime.scripts: not supported yet"},
            {"\"runtime\":{\"log_level\":\"debug\"}", "runtime.log_level: not supported yet"},
            {"\"security_profile\":\"restricted\"", "security_profile: restricted is not supported yet"},
            {"\"security_profile\":\"strict\"", "security_profile: must be default or restricted"},
            {"\"registry\":{\"mode\":\"anonymous\"}", "registry.mode: anonymous is not supported yet"},
            {"\"registry\":{\"mode\":\"specific\",\"credential_id\":\"c\"}", "registry.mode: specific is not supported yet"},
            {"\"registry\":{\"mode\":\"inline\",\"username\":\"u\"}", "registry.password: is required"},
            {"\"registry\":{\"mode\":\"bearer\"}", "registry.mode: must be auto, anonymous, inline or specific"},
            {"\"registry\":{\"mode\":\"auto\",\"username\":\"u\"}", "registry: auto takes only mode"},
            {"\"registry\":{\"mode\":\"inline\",\"token\":\"t\"}", "registry.token: unknown field"},
        };
        for (String[] c : cases) {
            String message = rejected(sdkBodyWith("{" + c[0] + "}"));
            assertTrue(message.startsWith(c[1]), c[0] + " -> " + message);
        }
        // the inline password is checked, never repeated
        String secret = rejected("{\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"},"
                + "\"registry\":{\"mode\":\"inline\",\"username\":\"u\",\"password\":\"hunter2\"}}");
        assertTrue(secret.startsWith("registry.mode: inline is not supported yet"), secret);
        assertFalse(secret.contains("hunter2"));
    }

    /** The SDK's mounts (facts §2.3): snake_case tags, options, its defaults for the fields msb has no use for. */
    @Test
    void mountsInTheSdksShapeAreMapped() {
        List<Mount> m = create(sdkBodyWith("{\"mounts\":["
                + "{\"type\":\"bind\",\"host\":\"/srv/p\",\"guest\":\"/p\",\"options\":{\"readonly\":true,\"noexec\":true,"
                + "\"nosuid\":false,\"nodev\":true},\"stat_virtualization\":\"strict\",\"host_permissions\":\"private\","
                + "\"quota_mib\":null},"
                + "{\"type\":\"named\",\"name\":\"cache\",\"guest\":\"/cache\",\"options\":{\"readonly\":false,"
                + "\"noexec\":false,\"nosuid\":false,\"nodev\":false},\"stat_virtualization\":\"strict\","
                + "\"host_permissions\":\"private\"},"
                + "{\"type\":\"tmpfs\",\"guest\":\"/t\",\"size_mib\":64,\"options\":{\"readonly\":false,\"noexec\":false,"
                + "\"nosuid\":true,\"nodev\":true}},"
                + "{\"type\":\"disk_image\",\"host\":\"/srv/d.img\",\"guest\":\"/d\",\"format\":\"qcow2\",\"fstype\":null,"
                + "\"options\":{\"readonly\":false,\"noexec\":false,\"nosuid\":false,\"nodev\":false}}]}")).mounts();
        assertEquals(List.of(Mount.bind("/srv/p", "/p").withOptions(true, true, false, true),
                Mount.volume("cache", "/cache"), Mount.tmpfs("/t", 64).withOptions(false, false, true, true),
                Mount.diskImage("/srv/d.img", "/d", "qcow2", null)), m);
        for (Mount each : m) {
            JsonNode r = Json.MAPPER.valueToTree(WireMounts.response(each));
            assertEquals(each.guestPath(), r.get("guest").asText());
            assertTrue(List.of("Bind", "Named", "Tmpfs", "DiskImage").contains(r.get("type").asText()), r.toString());
        }
        assertEquals("Qcow2", Json.MAPPER.valueToTree(WireMounts.response(m.get(3))).get("format").asText());
        assertEquals(64, Json.MAPPER.valueToTree(WireMounts.response(m.get(2))).get("size_mib").asInt());

        String[][] refused = {
            {"[{\"guest\":\"/t\"}]", "mounts[0].type: is required"},
            {"[{\"type\":\"nfs\",\"guest\":\"/t\"}]", "mounts[0].type: must be bind, named, tmpfs or disk_image"},
            {"[{\"type\":\"tmpfs\"}]", "mounts[0].guest: is required"},
            {"[{\"type\":\"bind\",\"guest\":\"/g\"}]", "mounts[0].host: is required"},
            {"[{\"type\":\"tmpfs\",\"guest\":\"/t\",\"host\":\"/h\"}]", "mounts[0].host: is not a field of a tmpfs"},
            {"[{\"type\":\"tmpfs\",\"guest\":\"/t\",\"size_mib\":0}]", "mounts[0].size_mib: must be a positive"},
            {"[{\"type\":\"tmpfs\",\"guest\":\"/t\",\"options\":{\"ro\":true}}]", "mounts[0].options.ro: is not"},
            {"[{\"type\":\"tmpfs\",\"guest\":\"/t\",\"options\":{\"readonly\":1}}]", "mounts[0].options.readonly: must be"},
            {"[{\"type\":\"bind\",\"host\":\"/h\",\"guest\":\"/g\",\"host_permissions\":\"mirror\"}]",
                "mounts[0].host_permissions: host permissions other than private"},
            {"[{\"type\":\"bind\",\"host\":\"/h\",\"guest\":\"/g\",\"quota_mib\":5}]", "mounts[0].quota_mib:"},
            {"[{\"type\":\"disk_image\",\"host\":\"/h\",\"guest\":\"/g\",\"format\":\"vmdk\"}]",
                "mounts[0].format: vmdk images are not supported"},
            {"[7]", "mounts[0]: must be an object"},
        };
        for (String[] c : refused) {
            String message = rejected(sdkBodyWith("{\"mounts\":" + c[0] + "}"));
            assertTrue(message.startsWith(c[1]), c[0] + " -> " + message);
        }
    }

    /** microsandbox's HandoffInit: {cmd, args, env: [[k, v]]}; cmd is "auto" or an absolute path. */
    @Test
    void initIsMappedAndItsFieldsAreChecked() {
        assertEquals(new HandoffInit("/lib/systemd/systemd", List.of("--unit=multi-user.target"), Map.of("container", "msb")),
                create(sdkBodyWith("{\"init\":{\"cmd\":\"/lib/systemd/systemd\",\"args\":[\"--unit=multi-user.target\"],"
                        + "\"env\":[[\"container\",\"msb\"]]}}")).init());
        assertEquals(HandoffInit.auto(), create(sdkBodyWith("{\"init\":{\"cmd\":\"auto\",\"args\":[],\"env\":[]}}")).init());
        assertEquals(HandoffInit.auto(), create(sdkBodyWith("{\"init\":{\"cmd\":\"auto\"}}")).init());
        assertNull(create(SDK_DEFAULT_BODY).init());
        String[][] cases = {
            {"{\"init\":{\"cmd\":\"sbin/init\"}}", "init.cmd: must be an absolute path or \"auto\""},
            {"{\"init\":{\"args\":[]}}", "init.cmd: required"},
            {"{\"init\":{\"cmd\":\"auto\",\"env\":[[\"A\"]]}}", "init.env[0]: must be a pair [key, value]"},
            {"{\"init\":{\"cmd\":\"auto\",\"env\":[[\"A=B\",\"x\"]]}}", "init.env: a name must be non-empty"},
            {"{\"init\":{\"cmd\":\"auto\",\"cwd\":\"/\"}}", "init.cwd: unknown field"},
            {"{\"init\":\"auto\"}", "init"},
        };
        for (String[] c : cases) {
            String message = rejected(sdkBodyWith(c[0]));
            assertTrue(message.startsWith(c[1]), c[0] + " -> " + message);
        }
    }

    @Test
    void execRequestsMapToExecOptions() {
        ExecOptions o = exec("{\"cmd\":[\"sh\",\"-c\",\"cat\"],\"env\":{\"A\":\"1\"},\"workdir\":\"/tmp\",\"user\":\"nobody\","
                + "\"timeout_secs\":5,\"stdin\":\"aGk=\"}");
        assertEquals(List.of("sh", "-c", "cat"), o.command());
        assertEquals(Map.of("A", "1"), o.env());
        assertEquals("/tmp", o.cwd());
        assertEquals("nobody", o.user());
        assertEquals(Duration.ofSeconds(5), o.timeout());
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), o.stdin());
        assertNull(exec("{\"cmd\":[\"true\"]}").stdin(), "no stdin: the stream's caller closes it");

        assertEquals("cmd: must be a non-empty array of strings", execRejected("{\"cmd\":[]}"));
        assertEquals("cmd: must be a non-empty array of strings", execRejected("{}"));
        assertEquals("cmd[1]: must be a string", execRejected("{\"cmd\":[\"a\",null]}"));
        assertEquals("cmd[0]: must not be empty", execRejected("{\"cmd\":[\"\"]}"));
        assertEquals("stdin: must be base64", execRejected("{\"cmd\":[\"cat\"],\"stdin\":\"***\"}"));
        assertEquals("timeout_secs: must be 1..3600", execRejected("{\"cmd\":[\"cat\"],\"timeout_secs\":3601}"));
        assertEquals("env.A: must be a string", execRejected("{\"cmd\":[\"cat\"],\"env\":{\"A\":null}}"));
        assertEquals("tty: unknown field", execRejected("{\"cmd\":[\"cat\"],\"tty\":true}"));
    }

    private static String execRejected(String json) {
        return assertThrows(ApiException.class, () -> exec(json)).getMessage();
    }

    @Test
    void statusesFollowTheCloudNames() {
        assertEquals("running", Mapping.status(SandboxStatus.RUNNING));
        assertEquals("paused", Mapping.status(SandboxStatus.PAUSED));
        assertEquals("stopping", Mapping.status(SandboxStatus.DRAINING));
        assertEquals("failed", Mapping.status(SandboxStatus.CRASHED));
        assertEquals("stopped", Mapping.status(SandboxStatus.STOPPED));
        assertEquals("created", Mapping.status(SandboxStatus.CREATED));
        assertEquals("starting", Mapping.status(SandboxStatus.STARTING));
    }

    @Test
    void responsesHaveTheSandboxResponseShape() {
        SandboxSpec spec = SandboxSpec.builder("box").image("alpine:3.20").cpus(2).memoryMib(256).env("A", "1")
                .label("team", "x").idleTimeout(Duration.ofSeconds(9)).hostname("box")
                .mount(new Mount("/srv/data", "/data", Mount.Kind.BIND, true)).build();
        Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
        RunInfo run = new RunInfo(1, 42, t0.plusSeconds(1), t0.plusSeconds(5), TerminationReason.INTERNAL_ERROR, null, null);
        UUID id = UUID.randomUUID();
        SandboxInfo info = new SandboxInfo(id, "box", SandboxStatus.CRASHED, spec, t0, t0.plusSeconds(5),
                Optional.of(run), Optional.empty());

        JsonNode json = Json.MAPPER.valueToTree(Mapping.response(info));
        for (String required : List.of("id", "org_id", "name", "slug", "status", "ephemeral", "created_at")) {
            assertFalse(json.path(required).isMissingNode() || json.get(required).isNull(), required);
        }
        assertEquals(id.toString(), json.get("id").asText());
        assertTrue(json.get("status_reason").isNull(), "only the cloud's scheduler has one");
        assertEquals("00000000-0000-0000-0000-000000000000", json.get("org_id").asText());
        assertEquals("box", json.get("slug").asText());
        assertEquals("failed", json.get("status").asText());
        assertEquals("the VM ended unexpectedly (internal_error)", json.get("last_failure_message").asText());
        assertEquals("2026-11-25T10:00:00Z", json.get("created_at").asText());
        assertEquals("2026-11-25T10:00:01Z", json.get("started_at").asText());
        assertEquals("2026-11-25T10:00:05Z", json.get("stopped_at").asText());
        assertFalse(json.get("ephemeral").asBoolean());
        JsonNode s = json.get("spec");
        assertEquals("alpine:3.20", s.get("image").asText());
        assertEquals(2, s.get("resources").get("vcpus").asInt());
        assertEquals(256, s.get("resources").get("memory_mib").asInt());
        assertTrue(s.get("resources").get("disk_size_mib").isNull());
        assertEquals("A", s.get("env").get(0).get("key").asText());
        assertEquals("x", s.get("labels").get("team").asText());
        assertEquals(9, s.get("lifecycle").get("idle_timeout_secs").asInt());
        assertFalse(s.get("network").get("enabled").asBoolean(), "the builder's default: no network");
        assertEquals(Json.MAPPER.valueToTree(Map.of("type", "Bind", "host", "/srv/data", "guest", "/data",
                "options", Map.of("readonly", true, "noexec", false, "nosuid", false, "nodev", false))),
                s.get("mounts").get(0), "response tags are PascalCase");
        assertEquals(0, s.get("rlimits").size());
        assertTrue(s.get("runtime").get("scripts").isObject());
        assertEquals("box", s.get("runtime").get("hostname").asText(), "hostname: msb's extension");

        SandboxInfo never = new SandboxInfo(id, "new", SandboxStatus.CREATED, spec, t0, t0, Optional.empty(),
                Optional.empty());
        JsonNode fresh = Json.MAPPER.valueToTree(Mapping.response(never));
        assertTrue(fresh.get("started_at").isNull());
        assertTrue(fresh.get("last_failure_message").isNull());
    }

    @Test
    void labelQueriesAreJsonObjectsOfStrings() {
        assertEquals(Map.of("team", "x", "env", "dev"), Mapping.labelsQuery("{\"team\":\"x\",\"env\":\"dev\"}"));
        assertEquals(Map.of(), Mapping.labelsQuery(null));
        assertEquals("labels: must be a JSON object of strings",
                assertThrows(ApiException.class, () -> Mapping.labelsQuery("[\"x\"]")).getMessage());
        assertEquals("labels.n: must be a string",
                assertThrows(ApiException.class, () -> Mapping.labelsQuery("{\"n\":1}")).getMessage());
    }

    @Test
    void oversizedBodiesAreRefusedBeforeParsing() {
        ApiException e = assertThrows(ApiException.class, () -> Json.readBytes(
                new ByteArrayInputStream(new byte[2048]), -1, 1024));
        assertEquals(413, e.status());
        assertEquals("request body: must be at most 1024 bytes", e.getMessage());
        assertEquals(413, assertThrows(ApiException.class, () -> Json.readBytes(
                new ByteArrayInputStream(new byte[0]), 1025, 1024)).status(), "declared too long");
    }

    /** Jetty checks its minimum body data rate on every read: a body of declared length ends without one more. */
    @Test
    void aBodyOfDeclaredLengthIsReadWithoutAReadPastItsEnd() throws Exception {
        byte[] sent = "{\"name\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        InputStream endless = new ByteArrayInputStream(sent) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (len > 0 && available() == 0) { // like Jetty, which checks the rate on reads of len > 0
                    throw new AssertionError("read past the declared end of the body");
                }
                return super.read(b, off, len);
            }
        };
        assertEquals(new String(sent, StandardCharsets.UTF_8),
                new String(Json.readBytes(endless, sent.length, 1024), StandardCharsets.UTF_8));
        assertThrows(EOFException.class, () -> Json.readBytes(
                new ByteArrayInputStream(sent), sent.length + 1, 1024), "a body that ends early");
    }

    /** What the 0.6.18 SDK sends (microsandbox-facts §2.3), and msb's local extensions, into NetworkConfig. */
    @Test
    void networkBodiesAsTheSdkSendsThem() {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"}";
        assertEquals(NetworkConfig.defaults(), create("{" + ok + "}").network(), "absent: on, public profile");
        assertEquals(NetworkConfig.defaults(), create("{" + ok + ",\"network\":{\"enabled\":true,\"strict\":false}}").network());
        SandboxSpec off = create("{" + ok + ",\"network\":{\"enabled\":false,\"policy\":{\"default_egress\":\"deny\","
                + "\"default_ingress\":\"deny\",\"rules\":[]},\"secrets\":{\"entries\":[],\"on_violation\":"
                + "{\"type\":\"block_and_log\"}},\"strict\":false}}");
        assertFalse(off.networkEnabled());
        SandboxSpec full = create("{" + ok + ",\"network\":{\"enabled\":true,\"max_connections\":100,"
                + "\"policy\":{\"default_egress\":\"deny\",\"default_ingress\":\"allow\",\"rules\":["
                + "{\"direction\":\"egress\",\"destination\":{\"group\":\"host\"},\"protocols\":[\"tcp\"],"
                + "\"ports\":[{\"start\":8080,\"end\":8080}],\"action\":\"allow\"},"
                + "{\"direction\":\"egress\",\"destination\":{\"domain_suffix\":\"example.com\"},\"action\":\"allow\"}]},"
                + "\"ports\":[{\"host_port\":18080,\"guest_port\":80}],"
                + "\"dns\":{\"nameservers\":[\"127.0.0.1:5353\"],\"query_timeout_ms\":1000},"
                + "\"rate_limiter\":{\"egress\":{\"bandwidth\":{\"size\":1048576,\"refill_time_ms\":1000}}},"
                + "\"strict\":false}}");
        NetworkConfig n = full.network();
        assertEquals(100, n.maxConnections());
        assertEquals(2, n.policy().rules().size());
        assertEquals(PublishedPort.tcp(18080, 80), n.ports().get(0));
        assertEquals(List.of("127.0.0.1:5353"), n.dns().nameservers());
        assertEquals(1048576, n.rateLimiter().egress().bandwidth().size());
        // the response carries it back in the same form
        SandboxInfo info = new SandboxInfo(UUID.randomUUID(), "b", SandboxStatus.RUNNING, full, Instant.EPOCH, Instant.EPOCH,
                Optional.empty(), Optional.of(new NetworkAddresses("172.16.0.2/30", "172.16.0.1", "02:00:ac:10:00:02",
                        1500, List.of("172.16.0.1"))));
        JsonNode net = Json.MAPPER.valueToTree(Mapping.response(info)).get("spec").get("network");
        assertEquals(Json.MAPPER.valueToTree(n.policy().toMap()), net.get("policy"));
        assertEquals(100, net.get("max_connections").asInt());
        assertEquals(18080, net.get("ports").get(0).get("host_port").asInt());
        assertEquals("127.0.0.1", net.get("ports").get(0).get("host_bind").asText());
        assertEquals("127.0.0.1:5353", net.get("dns").get("nameservers").get(0).asText());
        assertEquals(0, net.get("secrets").size());
        assertEquals("172.16.0.2/30", net.get("addresses").get("ipv4").asText());
        assertEquals("172.16.0.1", net.get("addresses").get("gateway").asText());
    }

    /**
     * The 0.6.18 SDK's create body with a secret and {@code strict(true)}, in its exact shape (microsandbox-facts §2.3:
     * {@code entries}, {@code {"type":…}} host patterns and actions, {@code strict} always sent).
     */
    @Test
    void secretsAndStrictAsTheSdkSendsThem() throws Exception {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"}";
        SandboxSpec s = create("{" + ok + ",\"network\":{\"enabled\":true,"
                + "\"policy\":{\"default_egress\":\"deny\",\"default_ingress\":\"allow\",\"rules\":["
                + "{\"direction\":\"egress\",\"destination\":{\"domain\":\"api.openai.com\"},\"protocols\":[],"
                + "\"ports\":[],\"action\":\"allow\"}]},"
                + "\"secrets\":{\"entries\":[{\"env_var\":\"API_KEY\",\"value\":\"sk-sdk-body-secret\","
                + "\"placeholder\":\"$MSB_API_KEY\",\"allowed_hosts\":[{\"type\":\"exact\",\"value\":\"api.openai.com\"},"
                + "{\"type\":\"wildcard\",\"value\":\"*.openai.com\"}],\"injection\":{\"headers\":true,\"basic_auth\":true,"
                + "\"query_params\":false,\"body\":false},\"require_tls_identity\":true},"
                + "{\"env_var\":\"ANY\",\"value\":\"v2\",\"placeholder\":\"$MSB_ANY\",\"allowed_hosts\":[{\"type\":\"any\"}],"
                + "\"injection\":{\"headers\":true,\"basic_auth\":true,\"query_params\":false,\"body\":false},"
                + "\"on_violation\":{\"type\":\"block_and_terminate\"},\"require_tls_identity\":true}],"
                + "\"on_violation\":{\"type\":\"block_and_log\"}},"
                + "\"strict\":true,\"max_connections\":100}}");
        NetworkConfig n = s.network();
        assertTrue(n.strict());
        assertTrue(n.tlsEnabled(), "secrets imply interception");
        assertEquals(2, n.secrets().entries().size());
        var key = n.secrets().entries().get(0);
        assertEquals("API_KEY", key.envVar());
        assertEquals("sk-sdk-body-secret", key.value());
        assertEquals("$MSB_API_KEY", key.placeholder());
        assertTrue(key.allows("api.openai.com") && key.allows("x.openai.com") && !key.allows("evil.com"));
        assertEquals(io.msb.api.network.ViolationAction.BLOCK_AND_LOG, n.secrets().onViolation());
        assertEquals(io.msb.api.network.ViolationAction.BLOCK_AND_TERMINATE,
                n.secrets().actionFor(n.secrets().entries().get(1)));
        assertTrue(n.secrets().entries().get(1).allows("anything.example"));

        // a response never shows a value, even of a spec that still had one
        SandboxInfo info = new SandboxInfo(UUID.randomUUID(), "b", SandboxStatus.RUNNING, s, Instant.EPOCH,
                Instant.EPOCH, Optional.empty(), Optional.empty());
        String body = new String(Json.write(Mapping.response(info)), StandardCharsets.UTF_8);
        assertFalse(body.contains("sk-sdk-body-secret"), body);
        JsonNode net = Json.MAPPER.readTree(body).get("spec").get("network");
        assertTrue(net.get("strict").asBoolean());
        assertEquals("API_KEY", net.get("secrets").get(0).get("env_var").asText());
        assertEquals("$MSB_API_KEY", net.get("secrets").get(0).get("placeholder").asText());
    }

    @Test
    void aSandboxTheNetworkStoppedSaysWhy() {
        Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
        RunInfo run = new RunInfo(1, 42, t0, t0.plusSeconds(5), TerminationReason.SECRET_VIOLATION, null, 9);
        SandboxInfo info = new SandboxInfo(UUID.randomUUID(), "box", SandboxStatus.STOPPED,
                SandboxSpec.builder("box").image("alpine").build(), t0, t0, Optional.of(run), Optional.empty());
        JsonNode json = Json.MAPPER.valueToTree(Mapping.response(info));
        assertEquals("stopped", json.get("status").asText());
        assertTrue(json.get("last_failure_message").asText().endsWith("(secret_violation)"), json.toString());
    }

    @Test
    void secretErrorsNameTheField() {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"}";
        String e = rejected("{" + ok + ",\"network\":{\"secrets\":{\"entries\":[{\"env_var\":\"K\",\"value\":\"v\","
                + "\"allowed_hosts\":[{\"type\":\"nowhere\"}]}]}}}");
        assertTrue(e.startsWith("network.secrets.entries[0].allowed_hosts[0]"), e);
        String noHosts = rejected("{" + ok + ",\"network\":{\"secrets\":{\"entries\":[{\"env_var\":\"K\",\"value\":\"v\"}]}}}");
        assertTrue(noHosts.contains("allowed_hosts"), noHosts);
        assertFalse(noHosts.contains("\"v\""), noHosts);
    }

    @Test
    void theEffectivePolicyIsShownWhenNoneWasGiven() {
        SandboxSpec spec = SandboxSpec.builder("p").image("alpine").network(NetworkConfig.defaults()).build();
        JsonNode net = Json.MAPPER.valueToTree(Mapping.response(new SandboxInfo(UUID.randomUUID(), "p",
                SandboxStatus.STOPPED, spec, Instant.EPOCH, Instant.EPOCH, Optional.empty(), Optional.empty())))
                .get("spec").get("network");
        assertEquals(Json.MAPPER.valueToTree(NetworkPolicy.defaults().toMap()), net.get("policy"));
        assertTrue(net.get("addresses") == null, "no addresses while stopped");
    }

    @Test
    void networkErrorsNameTheField() {
        String ok = "\"name\":\"b\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"}";
        assertTrue(rejected("{" + ok + ",\"network\":{\"max_connections\":5000}}").startsWith("network.max_connections: "));
        assertTrue(rejected("{" + ok + ",\"network\":{\"ports\":[{\"host_port\":0,\"guest_port\":80}]}}")
                .startsWith("network.ports[0].host_port: "));
        assertTrue(rejected("{" + ok + ",\"network\":{\"policy\":{\"rules\":[{\"direction\":\"out\"}]}}}")
                .startsWith("network.policy.rules[0].direction: "));
        assertEquals("network.bogus: unknown field", rejected("{" + ok + ",\"network\":{\"bogus\":1}}"));
        assertTrue(rejected("{" + ok + ",\"network\":{\"enabled\":\"yes\"}}").startsWith("network.enabled: "));
        assertTrue(rejected("{" + ok + ",\"network\":[]}").startsWith("network: "));
    }

    @Test
    void infoListsTheWarmPoolsInSnakeCase() {
        PlatformInfo platform = new PlatformInfo(Path.of("/h"), "qemu", List.of(), Map.of(SandboxStatus.RUNNING, 1),
                List.of(new PlatformInfo.Pool("builtin:busybox", 1, 512, true, 2, 1, 3, 4, null),
                        new PlatformInfo.Pool("python:3.12", 2, 1024, false, 1, 0, 0, 1, "no space left")));
        JsonNode info = Json.MAPPER.valueToTree(Observations.info("0.1.0", 7, platform, 3));
        JsonNode pools = info.get("pools");
        assertEquals(2, pools.size());
        JsonNode busybox = pools.get(0);
        assertEquals("builtin:busybox", busybox.get("image").asText());
        assertEquals(1, busybox.get("cpus").asInt());
        assertEquals(512, busybox.get("memory_mib").asInt());
        assertTrue(busybox.get("network").asBoolean());
        assertEquals(List.of(2, 1, 3, 4), List.of(busybox.get("size").asInt(), busybox.get("ready").asInt(),
                busybox.get("taken").asInt(), busybox.get("missed").asInt()));
        assertTrue(busybox.get("last_error").isNull(), "no error: null, not left out");
        assertEquals("no space left", pools.get(1).get("last_error").asText());
        assertFalse(pools.get(1).get("network").asBoolean());
        assertEquals(1, info.get("sandboxes").get("running").asInt());

        JsonNode none = Json.MAPPER.valueToTree(Observations.info("0.1.0", 7,
                new PlatformInfo(Path.of("/h"), "qemu", List.of(), Map.of()), null));
        assertTrue(none.get("pools").isArray() && none.get("pools").isEmpty(), "no pools: an empty list");
    }
}
