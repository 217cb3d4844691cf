package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.protocol.AgentClient;
import io.msb.protocol.Core;
import io.msb.protocol.GuestBootstrap;
import io.msb.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code msb.identity.apply} (decision 1240) in real VMs: what a sandbox restored from a memory image does to stop being
 * a copy. First through a runtime sandbox's relay socket, as a client of {@code sandboxes/<name>/agent.sock}: the guest
 * takes a new hostname, address, MAC, env and clock, and a refused apply changes nothing. The runtime's network stack is
 * not told the new address (it still routes the old one), so there the guest side is all that is checked. Then in a VM
 * whose network peer is this test, which can be told the new addresses: the guest answers on the wire from its new MAC
 * and address through the new gateway.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class IdentityApplyIT {
    private static final Duration GUARD = Duration.ofSeconds(180);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static byte[] seed() {
        byte[] seed = new byte[64];
        RANDOM.nextBytes(seed);
        return seed;
    }

    private static String sh(AgentClient agent, String script) {
        ExecResult r = agent.run(ExecOptions.of("/bin/sh", "-c", script).build());
        assertEquals(0, r.exit().code(), () -> script + ": " + r.stderrText());
        return r.stdoutText();
    }

    @Test
    void aRunningSandboxTakesANewHostnameAddressMacEnvAndClockThroughItsRelay(Platform platform) throws Exception {
        assumeTrue(platform.networked(), "needs io.msb.network running in the platform");
        SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-identity").image(Platform.IMAGE)
                .replace(true).networkPolicy(NetworkPolicy.defaults()).build());
        Path relay = platform.home.resolve("sandboxes/e2e-identity/agent.sock");
        try (AgentClient agent = AgentClient.connectRelay(relay, new AgentClient.Options(GUARD, GUARD, 16))) {
            String oldAddress = box.info().addresses().orElseThrow().ipv4();
            String oldAddress6 = sh(agent, "ip -6 addr show dev eth0");
            assertTrue(oldAddress6.contains("inet6 fd42:6d73:62:"), "booted with IPv6 (decision 1310): " + oldAddress6);
            GuestBootstrap.Network network = new GuestBootstrap.Network("10.77.0.6", 30, "10.77.0.5", 1500,
                    List.of("10.77.0.5"), List.of(new GuestBootstrap.Host(GuestBootstrap.Network.HOST_ALIAS,
                            "10.77.0.5")), "02:00:0a:4d:00:06", "fd77::6", 64, "fd77::5");
            Instant later = Instant.now().plus(Duration.ofDays(400)); // unmistakably not the host's clock
            agent.applyIdentity(new GuestBootstrap("copy-2", GuestBootstrap.env(Map.of("IDENTITY", "copy-2")), null,
                    "/tmp", null, network, null, List.of(new GuestBootstrap.Mount(GuestBootstrap.Mount.TMPFS, null,
                            "/scratch", null, 8, false, false, true, true))), seed(), later);

            assertEquals("copy-2\ncopy-2\n", sh(agent, "hostname; cat /etc/hostname"));
            String addr = sh(agent, "ip -4 addr show dev eth0");
            assertTrue(addr.contains("inet 10.77.0.6/30"), addr);
            assertFalse(addr.contains("inet " + oldAddress.replaceFirst("/.*", "") + "/"), "the old address is gone: "
                    + addr);
            assertEquals("02:00:0a:4d:00:06\n1500\n", sh(agent, "cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu"));
            String routes = sh(agent, "ip route");
            assertTrue(routes.contains("default via 10.77.0.5 dev eth0"), routes);
            assertEquals(1, routes.lines().filter(l -> l.startsWith("default")).count(), "one default route: " + routes);
            assertTrue(routes.contains("10.77.0.4/30 dev eth0"), "the new subnet's route: " + routes);
            assertEquals("nameserver 10.77.0.5\n", sh(agent, "cat /etc/resolv.conf"));
            String addr6 = sh(agent, "ip -6 addr show dev eth0");
            assertTrue(addr6.contains("inet6 fd77::6/64"), addr6);
            assertFalse(addr6.contains("fd42:6d73:62:"), "the old IPv6 address is gone: " + addr6);
            String routes6 = sh(agent, "ip -6 route");
            assertTrue(routes6.contains("default via fd77::5 dev eth0"), routes6);
            assertEquals(1, routes6.lines().filter(l -> l.startsWith("default")).count(), "one v6 default: " + routes6);
            String hosts = sh(agent, "cat /etc/hosts");
            assertTrue(hosts.contains("127.0.1.1\tcopy-2\n") && hosts.contains("10.77.0.5\t"
                    + GuestBootstrap.Network.HOST_ALIAS + "\nfd77::5\t" + GuestBootstrap.Network.HOST_ALIAS + "\n"),
                    hosts);
            assertFalse(hosts.contains("fd42:6d73:62:"), "the old IPv6 hosts line is replaced: " + hosts);
            assertFalse(hosts.contains("127.0.1.1\te2e-identity"), "the boot's name line is replaced: " + hosts);
            assertTrue(sh(agent, "grep ' /scratch ' /proc/mounts").startsWith("tmpfs /scratch tmpfs"));
            // later execs, through the relay and through the runtime's own client alike, run with the new defaults
            assertEquals("copy-2|/tmp\n", sh(agent, "echo \"$IDENTITY|$(pwd)\""));
            assertEquals("copy-2|/tmp\n", box.exec(ExecOptions.of("/bin/sh", "-c", "echo \"$IDENTITY|$(pwd)\"")
                    .build()).stdoutText());
            long guestNow = Long.parseLong(sh(agent, "date +%s").trim());
            assertTrue(Math.abs(guestNow - later.getEpochSecond()) < 600, "guest clock " + guestNow + ", stepped to "
                    + later.getEpochSecond());

            // a refused apply names the field and changes nothing
            ProtocolException refused = assertThrows(ProtocolException.class, () -> agent.applyIdentity(
                    new GuestBootstrap("copy-3", List.of(), null, null, List.of(new GuestBootstrap.Rlimit("nofile",
                            64, 64))), seed(), null));
            assertEquals(Core.ErrorKind.INVALID_PAYLOAD, refused.kind());
            assertTrue(refused.getMessage().contains("bootstrap.rlimits"), refused.getMessage());
            assertEquals("copy-2\n", sh(agent, "hostname"));
        } finally {
            platform.runtime().remove("e2e-identity", true);
        }
    }

    private static final byte[] OLD_MAC = GuestNetworkIT.mac("02:00:ac:10:00:06");
    private static final byte[] NEW_MAC = GuestNetworkIT.mac("02:00:ac:10:00:0a");
    private static final byte[] NEW_GATEWAY_MAC = GuestNetworkIT.mac("02:00:ac:10:00:09");
    private static final byte[] NEW_IP = {(byte) 172, 16, 0, 10};
    private static final byte[] NEW_GATEWAY_IP = {(byte) 172, 16, 0, 9};

    @Test
    void theGuestAnswersOnTheWireFromItsNewMacAndAddress(Platform platform) throws Exception {
        Path dir = Files.createTempDirectory(platform.home, "identity");
        Path socket = dir.resolve("net.sock");
        NetworkAttachment attachment = new NetworkAttachment("stream", Map.of("path", socket.toString(),
                "mac", "02:00:ac:10:00:06", "ipv4", "172.16.0.6/30", "gateway", "172.16.0.5"));
        try (NetworkedVm guest = NetworkedVm.boot(platform, "e2e-identity-wire", "original", dir,
                NetworkedVm.busyboxRoot(platform), attachment, GUARD)) {
            AgentClient agent = guest.agent();
            assertEquals("02:00:ac:10:00:06\n", sh(agent, "cat /sys/class/net/eth0/address"));
            agent.applyIdentity(new GuestBootstrap("copy", List.of(), null, null, List.of(), new GuestBootstrap.Network(
                    "172.16.0.10", 30, "172.16.0.9", 1500, List.of(), List.of(), "02:00:ac:10:00:0a")), seed(),
                    Instant.now());
            assertTrue(sh(agent, "ip -4 addr show dev eth0").contains("inet 172.16.0.10/30"));

            // the peer pings the new address at the new MAC; to answer, the guest asks for its new gateway's MAC
            try (GuestNetworkIT.Peer peer = new GuestNetworkIT.Peer(socket)) {
                peer.send(GuestNetworkIT.echo(NEW_MAC, NEW_GATEWAY_MAC, NEW_GATEWAY_IP, NEW_IP, 0x1d));
                boolean arped = false;
                while (true) {
                    byte[] f = peer.next();
                    assertFalse(Arrays.equals(f, 6, 12, OLD_MAC, 0, 6), "a frame from the old MAC");
                    if (isArpRequest(f)) {
                        arped = true;
                        peer.send(arpReply());
                    } else if (isEchoReply(f, 0x1d)) {
                        break;
                    }
                }
                assertTrue(arped, "the guest resolved its new gateway from its new MAC and address");
            }
        }
    }

    /** Who-has the new gateway, from the new MAC and address. */
    private static boolean isArpRequest(byte[] f) {
        return f.length >= 42 && GuestNetworkIT.type(f) == 0x0806 && GuestNetworkIT.u16(f, 20) == 1
                && Arrays.equals(f, 6, 12, NEW_MAC, 0, 6) && Arrays.equals(f, 22, 28, NEW_MAC, 0, 6)
                && Arrays.equals(f, 28, 32, NEW_IP, 0, 4) && Arrays.equals(f, 38, 42, NEW_GATEWAY_IP, 0, 4);
    }

    private static boolean isEchoReply(byte[] f, int id) {
        int icmp = 14 + (f.length > 14 ? (f[14] & 0x0f) * 4 : 0);
        return f.length >= icmp + 8 && GuestNetworkIT.type(f) == 0x0800 && f[23] == 1
                && Arrays.equals(f, 0, 6, NEW_GATEWAY_MAC, 0, 6) && Arrays.equals(f, 6, 12, NEW_MAC, 0, 6)
                && Arrays.equals(f, 26, 30, NEW_IP, 0, 4) && Arrays.equals(f, 30, 34, NEW_GATEWAY_IP, 0, 4)
                && f[icmp] == 0 && GuestNetworkIT.u16(f, icmp + 4) == id;
    }

    private static byte[] arpReply() {
        ByteBuffer b = ByteBuffer.allocate(60); // the Ethernet minimum, zero padded
        b.put(NEW_MAC).put(NEW_GATEWAY_MAC).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 2);
        b.put(NEW_GATEWAY_MAC).put(NEW_GATEWAY_IP).put(NEW_MAC).put(NEW_IP);
        return b.array();
    }
}
