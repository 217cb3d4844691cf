package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkConfig;
import io.msb.api.spi.VmmCapabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {
    private static final VmmCapabilities LIMITS = new VmmCapabilities(1, 8, 64, 4096, Set.of());

    private static SandboxSpec.Builder spec(String name) {
        return SandboxSpec.builder(name).image("alpine");
    }

    private static InvalidConfigException rejected(SandboxSpec.Builder spec) {
        return assertThrows(InvalidConfigException.class, () -> SpecValidator.validate(spec.build()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo", "foo-bar", "foo.bar", "foo_bar", "FooBar", "abc123", "a", "0", "agent-1", "my.app_2026"})
    void acceptsTypicalNames(String name) {
        assertDoesNotThrow(() -> SpecValidator.validate(spec(name).build()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo bar", "foo/bar", "foo:bar", "foo!", "foo@bar", "foo#1", "✨", ".foo", "-foo", "_foo", "..", "a/../b"})
    void rejectsNamesUnsafeForAPath(String name) {
        InvalidConfigException e = rejected(spec(name));
        assertEquals("name", e.field());
        assertEquals("invalid config: sandbox name must start with an alphanumeric and contain only alphanumeric, "
                + "dots, hyphens, and underscores: " + name, e.getMessage());
    }

    @Test
    void rejectsEmptyName() {
        assertEquals("invalid config: sandbox name must not be empty", rejected(spec("")).getMessage());
    }

    @Test
    void nameLimitIs128Bytes() {
        assertDoesNotThrow(() -> SpecValidator.validate(spec("a".repeat(128)).build()));
        assertEquals("invalid config: sandbox name must be at most 128 characters: got 129",
                rejected(spec("a".repeat(129))).getMessage());
    }

    @Test
    void hostnameLimitIs64Bytes() {
        assertDoesNotThrow(() -> SpecValidator.validate(spec("x").hostname("y".repeat(64)).build()));
        InvalidConfigException e = rejected(spec("x").hostname("y".repeat(65)));
        assertEquals("hostname", e.field());
        assertEquals("invalid config: hostname is too long: 65 bytes (max 64)", e.getMessage());
        assertEquals("invalid config: hostname is too long: 66 bytes (max 64)",
                rejected(spec("x").hostname("é".repeat(33))).getMessage());
    }

    @Test
    void rejectsEmptyHostname() {
        assertEquals("invalid config: hostname must not be empty", rejected(spec("x").hostname("")).getMessage());
    }

    @Test
    void derivesHostnameWhenAbsent() {
        assertEquals("short", SpecValidator.validate(spec("short").build()).hostname());
        assertEquals(Hostnames.fromSandboxName("a".repeat(100)),
                SpecValidator.validate(spec("a".repeat(100)).build()).hostname());
        assertEquals("given", SpecValidator.validate(spec("x").hostname("given").build()).hostname());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sandbox.id", "microsandbox.owner", "service.pid"})
    void rejectsReservedLabelPrefixes(String key) {
        InvalidConfigException e = rejected(spec("x").label(key, "v"));
        assertEquals("labels", e.field());
        String prefix = key.substring(0, key.indexOf('.') + 1);
        assertEquals("invalid config: label key '" + key + "' uses reserved prefix '" + prefix + "'", e.getMessage());
    }

    @Test
    void labelKeysMustBeNonEmptyButValuesMayBe() {
        assertEquals("invalid config: label key must not be empty", rejected(spec("x").label("", "v")).getMessage());
        assertDoesNotThrow(() -> SpecValidator.validate(spec("x").label("team", "").label("sandboxes", "1").build()));
    }

    @Test
    void rejectsReservedEnvPrefix() {
        InvalidConfigException e = rejected(spec("x").env("MSB_TOKEN", "v"));
        assertEquals("env", e.field());
        assertEquals("invalid config: environment variable \"MSB_TOKEN\" uses the reserved MSB_ prefix", e.getMessage());
        assertDoesNotThrow(() -> SpecValidator.validate(spec("x").env("MSBX", "v").env("PATH", "/bin").build()));
        assertEquals("env", rejected(spec("x").env("A=B", "v")).field());
    }

    @ParameterizedTest
    @CsvSource({"1, 64", "8, 4096"})
    void limitsAreTheBackends(int cpus, int memoryMib) {
        assertDoesNotThrow(() -> SpecValidator.validateLimits(spec("x").cpus(cpus).memoryMib(memoryMib).build(), "qemu",
                LIMITS));
    }

    @ParameterizedTest
    @CsvSource({
            "1, 32, qemu, memoryMib, invalid config: memoryMib: 32 is outside 64..4096 supported by backend qemu",
            "1, 4097, krun, memoryMib, invalid config: memoryMib: 4097 is outside 64..4096 supported by backend krun",
            "9, 64, qemu, cpus, invalid config: cpus: 9 is outside 1..8 supported by backend qemu",
            "-1, 64, qemu, cpus, invalid config: cpus: -1 is outside 1..8 supported by backend qemu" })
    void theLimitsErrorNamesFieldValueAndRange(int cpus, int memoryMib, String backend, String field, String message) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> SpecValidator.validateLimits(
                spec("x").cpus(cpus).memoryMib(memoryMib).build(), backend, LIMITS));
        assertEquals(field, e.field());
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsNegativeResourcesAndDurations() {
        assertEquals("invalid config: diskSizeMib must not be negative: -1",
                rejected(spec("x").diskSizeMib(-1)).getMessage());
        assertEquals("idleTimeout", rejected(spec("x").idleTimeout(Duration.ZERO)).field());
        assertEquals("maxDuration", rejected(spec("x").maxDuration(Duration.ofSeconds(-1))).field());
        assertEquals("workdir", rejected(spec("x").workdir("relative/dir")).field());
    }

    @Test
    void checksHostRootsLikeTheSeeds(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("disk.img"), "x");
        assertDoesNotThrow(() -> SpecValidator.validate(
                SandboxSpec.builder("x").rootfs(new RootfsSource.HostDirectory(tmp)).build()));
        assertEquals("invalid config: rootfs path must be an existing directory: " + file, rejected(
                SandboxSpec.builder("x").rootfs(new RootfsSource.HostDirectory(file))).getMessage());
        assertDoesNotThrow(() -> SpecValidator.validate(SandboxSpec.builder("x")
                .rootfs(new RootfsSource.DiskImage(file, RootfsSource.DiskImage.Format.RAW)).build()));
        assertEquals("rootfs", rejected(SandboxSpec.builder("x")
                .rootfs(new RootfsSource.DiskImage(tmp, RootfsSource.DiskImage.Format.QCOW2))).field());
        assertEquals("invalid config: image: an image reference must not be empty",
                assertThrows(InvalidConfigException.class, () -> spec("x").image(" ")).getMessage());
    }

    @Test
    void theNameLimitIsWhatFitsTheAgentSocketInSunPath() {
        Path sandboxes = Path.of("/msb-home/sandboxes"); // "/msb-home/sandboxes/" + name + "/agent.sock" <= 106
        int max = 106 - "/msb-home/sandboxes/".length() - "/agent.sock".length();
        assertDoesNotThrow(() -> SpecValidator.validateSocketPath("a".repeat(max), sandboxes));
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> SpecValidator.validateSocketPath("a".repeat(max + 1), sandboxes));
        assertEquals("name", e.field());
        assertEquals(106, ("/msb-home/sandboxes/" + "a".repeat(max) + "/agent.sock").length());
        assertTrue(e.getMessage().contains("at most " + max + " here"), e.getMessage());
    }

    @Test
    void theLongestNameAllowedCanReallyBindTheAgentSocket(@TempDir Path home) throws Exception {
        Path sandboxes = home.resolve("sandboxes");
        int max = SpecValidator.MAX_SOCKET_PATH_BYTES - (sandboxes + "/").length() - "/agent.sock".length();
        String name = "a".repeat(max);
        SpecValidator.validateSocketPath(name, sandboxes);
        // as the relay binds it (107 bytes fit sun_path but the JDK refuses them)
        Path socket = Files.createDirectories(sandboxes.resolve(name)).resolve("agent.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertThrows(InvalidConfigException.class, () -> SpecValidator.validateSocketPath(name + "a", sandboxes));
    }

    @Test
    void envEntriesAndTotalAreBoundedBeforeAnythingIsAllocated() {
        int maxValue = SpecValidator.MAX_ENV_ENTRY_BYTES - "K=".length();
        assertDoesNotThrow(() -> SpecValidator.validateEnv(java.util.Map.of("K", "v".repeat(maxValue))));
        InvalidConfigException one = assertThrows(InvalidConfigException.class,
                () -> SpecValidator.validateEnv(java.util.Map.of("K", "v".repeat(maxValue + 1))));
        assertEquals("env", one.field());
        java.util.Map<String, String> many = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            many.put("K" + i, "v".repeat(100_000));
        }
        InvalidConfigException total = assertThrows(InvalidConfigException.class, () -> SpecValidator.validateEnv(many));
        assertEquals("env", total.field());
        assertTrue(total.getMessage().contains("max " + SpecValidator.MAX_ENV_TOTAL_BYTES), total.getMessage());
    }

    @Test
    void trustHostCasIsAccepted() {
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").network(NetworkConfig.fromMap(
                Map.of("trust_host_cas", true))).build()));
    }

    @Test
    void secretsTlsAndStrictAreAccepted() {
        // the SDK's cloud shape: entries, {type} tags
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").network(NetworkConfig.fromMap(Map.of(
                "strict", true, "secrets", Map.of("entries", List.of(Map.of("env_var", "KEY", "value", "v",
                        "allowed_hosts", List.of(Map.of("type", "exact", "value", "api.example.com")))),
                        "on_violation", Map.of("type", "block_and_terminate")),
                "tls", Map.of("enabled", true, "intercepted_ports", List.of(443, 8443))))).build()));
    }

    @Test
    void defaultNetworkValuesAreAccepted() {
        // what the official SDK sends: strict false, and disableNetwork() an empty secrets object
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").network(NetworkConfig.fromMap(
                Map.of("enabled", true, "strict", false))).build()));
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").network(NetworkConfig.fromMap(Map.of(
                "enabled", false, "secrets", Map.of("entries", List.of(), "on_violation",
                        Map.of("type", "block_and_log")), "strict", false))).build()));
        // a disabled network is not checked further: nothing of it is used
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").network(NetworkConfig.fromMap(
                Map.of("enabled", false, "strict", true))).build()));
    }

    @Test
    void secretsWithoutANetworkAreRefusedNotDropped() {
        InvalidConfigException e = rejected(spec("n").network(NetworkConfig.fromMap(Map.of("enabled", false,
                "secrets", Map.of("entries", List.of(Map.of("env_var", "KEY", "value", "v", "allowed_hosts",
                        List.of(Map.of("type", "any")))))))));
        assertEquals("network.secrets", e.field());
        assertEquals("invalid config: network.secrets: entries need a network: network.enabled is false",
                e.getMessage());
    }

    @Test
    void rlimitsNameAKnownResourceOnceWithSoftAtMostHard() {
        assertDoesNotThrow(() -> SpecValidator.validate(spec("n").rlimit(new Rlimit("nofile", 512, 1024))
                .rlimit(new Rlimit("as", 0, Long.MAX_VALUE)).build()));
        assertEquals("rlimits[0].resource", rejected(spec("n").rlimit(new Rlimit("files", 1, 1))).field());
        assertEquals("rlimits[1].resource", rejected(spec("n").rlimit(new Rlimit("nofile", 1, 1))
                .rlimit(new Rlimit("nofile", 2, 2))).field());
        InvalidConfigException e = rejected(spec("n").rlimit(new Rlimit("nproc", 10, 5)));
        assertEquals("invalid config: rlimits[0]: soft limit must be at most the hard limit: got soft 10, hard 5",
                e.getMessage());
        assertEquals("rlimits[0]", rejected(spec("n").rlimit(new Rlimit("nproc", -1, 5))).field());
    }
}
