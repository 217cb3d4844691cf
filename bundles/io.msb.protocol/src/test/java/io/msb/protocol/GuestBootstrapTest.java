package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.msb.api.InvalidConfigException;
import io.msb.api.spi.NetworkAttachment;
import io.msb.protocol.internal.Codec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class GuestBootstrapTest {

    private static JsonNode decode(String argument) throws Exception {
        assertTrue(argument.startsWith("msb.bootstrap="), argument);
        byte[] cbor = Base64.getUrlDecoder().decode(argument.substring("msb.bootstrap=".length()));
        return new CBORMapper().readTree(cbor);
    }

    @Test
    void encodesSnakeCaseFieldsAgentdReads() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LANG", "C.UTF-8");
        env.put("PATH", "/usr/bin:/bin");
        JsonNode map = decode(new GuestBootstrap("box", GuestBootstrap.env(env), "1000:1000", "/work",
                List.of(new GuestBootstrap.Rlimit("nofile", 1024, 4096))).kernelArgument());
        assertEquals("box", map.get("hostname").asText());
        assertEquals("LANG", map.get("default_env").get(0).get("key").asText());
        assertEquals("/usr/bin:/bin", map.get("default_env").get(1).get("value").asText());
        assertEquals("1000:1000", map.get("user").asText());
        assertEquals("/work", map.get("default_cwd").asText());
        assertEquals(4096, map.get("rlimits").get(0).get("hard").asLong());
        assertFalse(decode(new GuestBootstrap("h", List.of(), null, null, List.of()).kernelArgument()).has("user"),
                "absent fields are left out");
    }

    @Test
    void encodesTheHandoffAsAgentdReadsIt() throws Exception {
        GuestBootstrap.HandoffInit init = GuestBootstrap.HandoffInit.of(new io.msb.api.HandoffInit("auto",
                List.of("--unit=multi-user.target"), Map.of("container", "msb")));
        JsonNode map = decode(new GuestBootstrap("h", List.of(), null, null, List.of(), null, init).kernelArgument());
        assertEquals("{\"cmd\":\"auto\",\"args\":[\"--unit=multi-user.target\"],"
                + "\"env\":[{\"key\":\"container\",\"value\":\"msb\"}]}", map.get("handoff_init").toString());
        JsonNode bare = decode(new GuestBootstrap("h", List.of(), null, null, List.of(), null,
                GuestBootstrap.HandoffInit.of(io.msb.api.HandoffInit.auto())).kernelArgument());
        assertEquals("{\"cmd\":\"auto\"}", bare.get("handoff_init").toString(), "empty args and env are left out");
        assertFalse(decode(new GuestBootstrap("h", List.of(), null, null, List.of()).kernelArgument()).has("handoff_init"));
    }

    /** agentd's bootstrap_mounts reads these keys (decision 1202); absent optional fields stay out. */
    @Test
    void encodesMountsAsAgentdReadsThem() throws Exception {
        JsonNode map = decode(new GuestBootstrap("h", List.of(), null, null, List.of(), null, null, List.of(
                new GuestBootstrap.Mount(GuestBootstrap.Mount.SHARE, "msb0", "/work", null, null, true, false, false, true),
                new GuestBootstrap.Mount(GuestBootstrap.Mount.TMPFS, null, "/t", null, 64, false, true, true, false)))
                .kernelArgument());
        JsonNode share = map.get("mounts").get(0);
        assertEquals("9p", share.get("kind").asText());
        assertEquals("msb0", share.get("source").asText());
        assertEquals("/work", share.get("path").asText());
        assertTrue(share.get("readonly").asBoolean() && share.get("nodev").asBoolean() && !share.get("noexec").asBoolean());
        assertFalse(share.has("fstype") || share.has("size_mib"), share.toString());
        JsonNode tmpfs = map.get("mounts").get(1);
        assertEquals(64, tmpfs.get("size_mib").asInt());
        assertFalse(tmpfs.has("source"), tmpfs.toString());
        assertFalse(decode(new GuestBootstrap("h", List.of(), null, null, List.of()).kernelArgument()).has("mounts"));
    }

    @Test
    void carriesLargeEnvironmentsUpToAgentdsLimit() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            env.put("VAR" + i, Integer.toString(i).repeat(64 * 1024));
        }
        JsonNode map = decode(new GuestBootstrap("h", GuestBootstrap.env(env), null, null, null).kernelArgument());
        assertEquals(8, map.get("default_env").size());
        assertEquals("7".repeat(64 * 1024), map.get("default_env").get(7).get("value").asText());

        env.put("MORE", "x".repeat(600 * 1024));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GuestBootstrap("h", GuestBootstrap.env(env), null, null, null).kernelArgument());
        assertTrue(e.getMessage().contains("(max 1048576)"), e.getMessage());
    }

    /** The shared vector agentd's test_bootstrap decodes: both sides read the same bytes the same way. */
    static final Path NETWORK_VECTOR = Path.of("../../conformance/guest-bootstrap/network.hex");

    static GuestBootstrap.Network sampleNetwork() {
        return new GuestBootstrap.Network("172.16.0.6", 30, "172.16.0.5", 1400, List.of("172.16.0.5", "10.0.0.53"),
                List.of(new GuestBootstrap.Host("host.microsandbox.internal", "172.16.0.5"),
                        new GuestBootstrap.Host("db.test", "172.16.0.5")), "02:00:ac:10:00:06");
    }

    @Test
    void networkEncodingIsTheSharedVector() throws Exception {
        byte[] cbor = Codec.encodePayload(new GuestBootstrap("net", List.of(), null, null, List.of(), sampleNetwork()));
        String hex = HexFormat.of().formatHex(cbor);
        assertEquals(Files.readString(NETWORK_VECTOR).trim(), hex, "conformance/guest-bootstrap/network.hex");
        JsonNode net = new CBORMapper().readTree(cbor).get("network");
        assertEquals("172.16.0.6", net.get("address").asText());
        assertEquals(30, net.get("prefix").asInt());
        assertEquals(1400, net.get("mtu").asInt());
        assertEquals("10.0.0.53", net.get("nameservers").get(1).asText());
        assertEquals("db.test", net.get("hosts").get(1).get("name").asText());
        assertEquals("02:00:ac:10:00:06", net.get("mac").asText());
        assertFalse(new CBORMapper().readTree(Codec.encodePayload(new GuestBootstrap("h", null, null, null, null)))
                .has("network"), "no network, no field");
    }

    /** The IPv6 vector (decision 1312): the same network with address6/prefix6/gateway6. */
    static final Path NETWORK6_VECTOR = Path.of("../../conformance/guest-bootstrap/network6.hex");

    @Test
    void ipv6EncodingIsTheSharedVectorAndComesFromTheAttachment() throws Exception {
        GuestBootstrap.Network n = GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4",
                "172.16.0.6/30", "gateway", "172.16.0.5", "mtu", "1400", "dns", "172.16.0.5,10.0.0.53", "hosts",
                "host.microsandbox.internal=172.16.0.5,db.test=172.16.0.5", "mac", "02:00:ac:10:00:06", "ipv6",
                "fd42:6d73:62:1::2/64", "gateway6", "fd42:6d73:62:1::1")));
        assertEquals("fd42:6d73:62:1::2", n.address6());
        assertEquals(64, n.prefix6());
        assertEquals("fd42:6d73:62:1::1", n.gateway6());
        byte[] cbor = Codec.encodePayload(new GuestBootstrap("net", List.of(), null, null, List.of(), n));
        assertEquals(Files.readString(NETWORK6_VECTOR).trim(), HexFormat.of().formatHex(cbor),
                "conformance/guest-bootstrap/network6.hex");
        JsonNode net = new CBORMapper().readTree(cbor).get("network");
        assertEquals("fd42:6d73:62:1::2", net.get("address6").asText());
        assertEquals(64, net.get("prefix6").asInt());
        assertEquals("fd42:6d73:62:1::1", net.get("gateway6").asText());
        assertEquals(sampleNetwork(), GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4",
                "172.16.0.6/30", "gateway", "172.16.0.5", "mtu", "1400", "dns", "172.16.0.5,10.0.0.53", "hosts",
                "host.microsandbox.internal=172.16.0.5,db.test=172.16.0.5", "mac", "02:00:ac:10:00:06"))),
                "without ipv6 the same network as before");
        for (String[] bad : new String[][] {{"fe80::2", "64", "fe80::1", "network.address6"},
            {"fd00::2", "0", "fd00::1", "network.prefix6"}, {"fd00::2", "64", "fd00::2", "network.gateway6"},
            {"fd00::2", "64", "gateway.example", "network.gateway6"}, {"example.com", "64", "fd00::1",
                "network.address6"}, {"::ffff:10.0.0.1", "64", "fd00::1", "network.address6"}}) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new GuestBootstrap.Network(
                    "172.16.0.6", 30, "172.16.0.5", 1500, null, null, null, bad[0], Integer.valueOf(bad[1]), bad[2]));
            assertEquals(bad[3], e.field(), String.join(" ", bad));
        }
        assertEquals("network.parameters.ipv6", assertThrows(InvalidConfigException.class,
                () -> GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4", "172.16.0.6/30",
                        "gateway", "172.16.0.5", "ipv6", "fd00::2")))).field());
    }

    private static void refused(String field, String rule, Consumer<Map<String, Object>> change) {
        Map<String, Object> f = new HashMap<>(Map.of("address", "172.16.0.6", "prefix", 30, "gateway", "172.16.0.5",
                "mtu", 1500, "nameservers", List.of(), "hosts", List.of()));
        change.accept(f);
        @SuppressWarnings("unchecked")
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new GuestBootstrap.Network(
                (String) f.get("address"), (Integer) f.get("prefix"), (String) f.get("gateway"), (Integer) f.get("mtu"),
                (List<String>) f.get("nameservers"), (List<GuestBootstrap.Host>) f.get("hosts"), (String) f.get("mac")));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().contains(field + " ") && e.getMessage().contains(rule), e.getMessage());
    }

    @Test
    void everyNetworkFieldIsChecked() {
        refused("network.address", "must be an IPv4", f -> f.put("address", "172.16.0.06"));
        refused("network.address", "must be an IPv4", f -> f.put("address", "fe80::1"));
        refused("network.address", "must be an IPv4", f -> f.put("address", null));
        refused("network.address", "network or broadcast", f -> f.put("address", "172.16.0.7"));
        refused("network.prefix", "must be 1 to 30", f -> f.put("prefix", 31));
        refused("network.prefix", "must be 1 to 30", f -> f.put("prefix", 0));
        refused("network.gateway", "another host address", f -> f.put("gateway", "172.16.0.9"));
        refused("network.gateway", "another host address", f -> f.put("gateway", "172.16.0.6"));
        refused("network.gateway", "another host address", f -> f.put("gateway", "172.16.0.4"));
        refused("network.mtu", "must be 68 to 65535", f -> f.put("mtu", 67));
        refused("network.mtu", "must be 68 to 65535", f -> f.put("mtu", 65536));
        refused("network.nameservers", "max 3", f -> f.put("nameservers", List.of("1.1.1.1", "1.1.1.2", "1.1.1.3",
                "1.1.1.4")));
        refused("network.nameservers[1]", "must be an IPv4", f -> f.put("nameservers", List.of("1.1.1.1", "dns")));
        refused("network.hosts[0].name", "must be a DNS name", f -> f.put("hosts",
                List.of(new GuestBootstrap.Host("evil\n1.2.3.4 bank", "172.16.0.5"))));
        refused("network.hosts[0].name", "must be a DNS name", f -> f.put("hosts",
                List.of(new GuestBootstrap.Host("-lead.example", "172.16.0.5"))));
        refused("network.hosts[0].name", "must be a DNS name", f -> f.put("hosts",
                List.of(new GuestBootstrap.Host("a".repeat(64) + ".example", "172.16.0.5"))));
        refused("network.hosts[0].address", "must be an IPv4", f -> f.put("hosts",
                List.of(new GuestBootstrap.Host("ok.example", "300.1.1.1"))));
        refused("network.hosts", "max 16", f -> f.put("hosts",
                java.util.Collections.nCopies(17, new GuestBootstrap.Host("a.example", "172.16.0.5"))));
        refused("network.mac", "unicast", f -> f.put("mac", "03:00:00:00:00:01"));
        refused("network.mac", "unicast", f -> f.put("mac", "02:00:00:00:00"));
        refused("network.mac", "unicast", f -> f.put("mac", "00:00:00:00:00:00"));
        assertEquals(16, new GuestBootstrap.Network("10.0.0.2", 8, "10.255.255.254", 68, null,
                java.util.Collections.nCopies(16, new GuestBootstrap.Host("a-b.c0", "1.2.3.4")), "02:AB:cd:00:00:01")
                .hosts().size(), "the bounds themselves are accepted");
    }

    @Test
    void networkFromTheServicesAttachment() {
        GuestBootstrap.Network n = GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("path",
                "/tmp/x/net.sock", "mac", "02:00:ac:10:00:06", "ipv4", "172.16.0.6/30", "gateway", "172.16.0.5", "mtu",
                "1400", "dns", "172.16.0.5, 10.0.0.53", "hosts",
                "host.microsandbox.internal=172.16.0.5,db.test=172.16.0.5")));
        assertEquals(sampleNetwork(), n);
        GuestBootstrap.Network defaults = GuestBootstrap.Network.of(new NetworkAttachment("stream",
                Map.of("ipv4", "172.16.0.6/30", "gateway", "172.16.0.5")));
        assertEquals(1500, defaults.mtu());
        assertEquals(List.of("172.16.0.5"), defaults.nameservers(), "the gateway answers DNS by default");
        assertEquals(List.of(new GuestBootstrap.Host("host.microsandbox.internal", "172.16.0.5")), defaults.hosts());
        assertEquals(null, defaults.mac());
        for (var bad : List.of(Map.of("ipv4", "172.16.0.6", "gateway", "172.16.0.5"),
                Map.of("ipv4", "172.16.0.6/x", "gateway", "172.16.0.5"))) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class,
                    () -> GuestBootstrap.Network.of(new NetworkAttachment("stream", bad)));
            assertEquals("network.parameters.ipv4", e.field());
        }
        assertEquals("network.parameters.mtu", assertThrows(InvalidConfigException.class,
                () -> GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4", "172.16.0.6/30",
                        "gateway", "172.16.0.5", "mtu", "big")))).field());
        assertEquals("network.parameters.hosts", assertThrows(InvalidConfigException.class,
                () -> GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4", "172.16.0.6/30",
                        "gateway", "172.16.0.5", "hosts", "nameonly")))).field());
        assertEquals("network.gateway", assertThrows(InvalidConfigException.class,
                () -> GuestBootstrap.Network.of(new NetworkAttachment("stream", Map.of("ipv4", "172.16.0.6/30"))))
                .field());
    }
}
