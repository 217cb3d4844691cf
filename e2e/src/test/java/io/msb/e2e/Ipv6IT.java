package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Protocol;
import io.msb.api.network.Rule;
import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * IPv6 beside IPv4 end to end (decisions 1310-1313) with a real VM (builtin:busybox, QEMU, io.msb.network): the
 * guest has ::2 of its /64 in fd42:6d73:62::/48 and a default route via ::1, pings the gateway over IPv6, reaches a
 * test server on the host's 127.0.0.1 through the gateway's IPv6 address (the host group: the gateway means the
 * host's loopback over either family, decision 1311), and is refused at once where the policy says no. Every packet
 * that leaves the host goes to 127.0.0.1 only.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class Ipv6IT {
    private static final Pattern GLOBAL = Pattern.compile("inet6 (fd42:6d73:62:[0-9a-f:]*)/64 scope global");
    private static Platform platform;
    private static ServerSocket allowed;
    private static ServerSocket denied;
    private static final List<InetAddress> peers = new CopyOnWriteArrayList<>();
    private static final List<Socket> deniedAccepted = new CopyOnWriteArrayList<>();
    private static SandboxHandle box;
    private static String guest6;
    private static String gateway6;

    @BeforeAll
    static void start(Platform shared) throws Exception {
        platform = shared;
        assumeTrue(platform.networked(), "needs io.msb.network running in the platform");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        allowed = new ServerSocket(0, 50, loopback);
        denied = new ServerSocket(0, 50, loopback);
        DaemonThreads.start("v6-greeter", () -> serve(allowed, true));
        DaemonThreads.start("v6-denied", () -> serve(denied, false));
        NetworkPolicy policy = NetworkPolicy.defaults().withRulesFirst(List.of(
                Rule.egress(Destination.group(Group.HOST), Action.ALLOW).protocols(Protocol.TCP)
                        .ports(PortRange.of(allowed.getLocalPort()))));
        box = platform.runtime().create(SandboxSpec.builder("e2e-ipv6").image(Platform.IMAGE).replace(true)
                .networkPolicy(policy).build());
        ExecResult addr = sh(box, "ip -6 addr show dev eth0");
        Matcher m = GLOBAL.matcher(addr.stdoutText());
        assertTrue(m.find(), addr.stdoutText() + addr.stderrText());
        guest6 = m.group(1);
        assertTrue(guest6.endsWith("::2"), guest6);
        gateway6 = guest6.substring(0, guest6.length() - 1) + "1";
        var shown = box.info().addresses().orElseThrow();
        assertEquals(guest6 + "/64", shown.ipv6(), "inspect shows the guest's IPv6 address");
        assertEquals(gateway6, shown.gateway6());
    }

    private static void serve(ServerSocket server, boolean greet) {
        try {
            while (true) {
                Socket s = server.accept();
                if (!greet) {
                    deniedAccepted.add(s);
                    continue;
                }
                try (s) {
                    peers.add(((InetSocketAddress) s.getRemoteSocketAddress()).getAddress());
                    s.getOutputStream().write("hello over ipv6\n".getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            // closed at the end
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (box != null) {
            platform.runtime().remove(box.name(), true);
        }
        for (ServerSocket s : new ServerSocket[] {allowed, denied}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void theGuestHasItsAddressRouteAndHostsLine() {
        ExecResult addr = sh(box, "ip -6 addr show dev eth0");
        assertTrue(addr.stdoutText().contains("inet6 " + guest6 + "/64 scope global"), addr.stdoutText());
        assertTrue(!addr.stdoutText().contains("tentative"), "no duplicate address detection: " + addr.stdoutText());
        ExecResult route = sh(box, "ip -6 route");
        assertTrue(route.stdoutText().contains("default via " + gateway6 + " dev eth0"), route.stdoutText());
        ExecResult hosts = sh(box, "cat /etc/hosts");
        assertTrue(hosts.stdoutText().contains("\thost.microsandbox.internal\n" + gateway6
                + "\thost.microsandbox.internal\n"), hosts.stdoutText());
        ExecResult v4 = sh(box, "ip -4 addr show dev eth0");
        assertTrue(v4.stdoutText().contains("inet 172.16."), "IPv4 beside it: " + v4.stdoutText());
    }

    @Test
    void theGatewayAnswersPingOverIpv6AndOtherPingsAreRefused() {
        ExecResult ping = sh(box, "ping -6 -c 2 -W 10 " + gateway6 + " 2>&1 || ping6 -c 2 -W 10 " + gateway6 + " 2>&1");
        assertEquals(0, ping.exit().code(), ping.stdoutText());
        assertTrue(ping.stdoutText().contains("2 packets received"), ping.stdoutText());
        // elsewhere: refused by the stack at once (no raw sockets on the host, nothing leaves it)
        ExecResult refused = sh(box, "ping -6 -c 1 -W 10 2001:db8::1 2>&1 || ping6 -c 1 -W 10 2001:db8::1 2>&1");
        assertNotEquals(0, refused.exit().code(), refused.stdoutText());
    }

    @Test
    void tcpToTheGatewaysIpv6AddressReachesTheHostsLoopback() {
        ExecResult r = sh(box, "nc -w 30 " + gateway6 + " " + allowed.getLocalPort() + " </dev/null; echo rc=$?");
        assertEquals("hello over ipv6\nrc=0\n", r.stdoutText(), r.stderrText());
        assertTrue(peers.stream().allMatch(InetAddress::isLoopbackAddress), peers.toString());
        assertTrue(!peers.isEmpty());
    }

    @Test
    void dnsOverIpv6AnswersTheHostNameWithTheV6Gateway() {
        // the query goes to the gateway's IPv6 address, port 53: the stack hands it to the DNS interceptor, which
        // answers host.microsandbox.internal itself (A and AAAA) without asking upstream
        ExecResult r = sh(box, "nslookup host.microsandbox.internal " + gateway6 + " 2>&1");
        assertTrue(r.stdoutText().contains(gateway6), r.stdoutText());
    }

    @Test
    void aDestinationThePolicyDeniesIsRefusedAtOnceAndNeverDialed() {
        ExecResult r = sh(box, "nc -w 30 " + gateway6 + " " + denied.getLocalPort() + " </dev/null 2>&1; echo rc=$?");
        assertTrue(r.stdoutText().endsWith("rc=1\n"), r.stdoutText());
        assertTrue(r.stdoutText().contains("refused"), r.stdoutText());
        assertEquals(List.of(), deniedAccepted, "the host port the policy does not allow never saw a connection");
    }
}
