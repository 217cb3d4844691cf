package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Protocol;
import io.msb.api.network.Rule;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.VmSpec;
import io.msb.protocol.AgentClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The user-space stack behind a real VM (issue 12): the platform's network service (io.msb.network's, through
 * its service interface) attaches a sandbox network, QEMU boots builtin:busybox on its stream socket, and the
 * guest's own tools reach a server this test runs on 127.0.0.1 through {@code host.microsandbox.internal}. The
 * test, not the runtime, asks the service and boots the VM with the attachment (as GuestNetworkIT does). A denied
 * destination is refused at once (nc: connection refused, counted as a denial). Prints throughput both ways;
 * asserts only the data.
 */
@ExtendWith(PlatformExtension.class)
class NetworkStackIT {
    static final long GUARD_SECONDS = 300;
    static final int MIB = 1 << 20;

    @Test
    void guestToolsReachAHostServerThroughTheStack(Platform platform) throws Exception {
        VmSpec.Disk root = NetworkedVm.busyboxRoot(platform);
        Path dir = Files.createTempDirectory(platform.home, "ns");
        NetworkService network = platform.network(); // the platform's, with its default configuration
        try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket bait = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // the host profile (DNS and the host group; nothing else), but not the bait's port: the denial is
            // tested against a listening 127.0.0.1 port, so a broken policy would connect, never leave the host
            NetworkAttachment attachment = network.attach("e2e-netstack", dir,
                    NetworkConfig.defaults().withPolicy(NetworkPolicy.profile("host").withRulesFirst(List.of(
                            Rule.egress(Destination.group(Group.HOST), Action.DENY).protocols(Protocol.TCP)
                                    .ports(PortRange.of(bait.getLocalPort()))))));
            try (NetworkedVm guest = NetworkedVm.boot(platform, "e2e-netstack", "netstack", dir, root, attachment,
                    Duration.ofSeconds(GUARD_SECONDS))) {
                AgentClient agent = guest.agent();
                String url = "http://host.microsandbox.internal:" + host.getLocalPort() + "/file";
                byte[] body = new byte[4 * MIB];
                new Random(5).nextBytes(body);
                CompletableFuture<Void> http = serveOnce(host, body);
                ExecResult wget = sh(agent, "wget -q -O - " + url + " | md5sum");
                http.get(GUARD_SECONDS, TimeUnit.SECONDS);
                String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
                assertEquals(md5 + "  -\n", wget.stdoutText(), "wget through host.microsandbox.internal");

                ExecResult denied = sh(agent, "nc -w 5 host.microsandbox.internal " + bait.getLocalPort()
                        + " </dev/null; echo exit=$?");
                System.out.println("denied port from the guest: " + denied.stdoutText().trim()
                        + " " + denied.stderrText().trim());
                assertTrue((denied.stdoutText() + denied.stderrText()).contains("refused"),
                        "a denied address is refused (RST), not left to time out");
                assertTrue(network.counters("e2e-netstack").orElseThrow().denials() >= 1, "the denial is counted");

                // bench/network/README.md: -Dmsb.netbench.mib=64 for throughput figures; small by default
                int mib = Integer.getInteger("msb.netbench.mib", 8);
                // the gateway's address, not a fixed one: the platform's service may have given out other /30s
                String gateway = attachment.parameters().get("gateway");
                upload(agent, gateway, host, mib);
                download(agent, gateway, host, mib, true);
                System.out.println("counters: " + network.counters("e2e-netstack").orElseThrow());
            } finally {
                network.detach("e2e-netstack");
            }
        }
    }

    /** guest→host: {@code dd | nc}; the host reads and counts until the guest closes. Returns Mbit/s. */
    static double upload(AgentClient agent, String gateway, ServerSocket host, int mib) throws Exception {
        CompletableFuture<long[]> sink = CompletableFuture.supplyAsync(() -> {
            try (Socket s = host.accept(); InputStream in = s.getInputStream()) {
                byte[] b = new byte[1 << 16];
                long total = 0;
                long first = 0;
                int n;
                while ((n = in.read(b)) > 0) {
                    if (total == 0) {
                        first = System.nanoTime();
                    }
                    total += n;
                    if (total >= (long) mib * MIB) {
                        break; // the host closes: busybox nc exits when the peer does
                    }
                }
                return new long[] {total, System.nanoTime() - first};
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ExecResult r = sh(agent, "dd if=/dev/zero bs=64k count=" + mib * 16 + " 2>/dev/null | nc " + gateway + " "
                + host.getLocalPort() + "; true");
        long[] got = sink.get(GUARD_SECONDS, TimeUnit.SECONDS);
        double mbits = got[0] * 8 / (got[1] / 1e9) / 1e6;
        System.out.printf("real VM guest->host: %.0f Mbit/s (%d MiB)%n", mbits, got[0] / MIB);
        assertEquals((long) mib * MIB, got[0], r.stderrText());
        return mbits;
    }

    /**
     * host→guest: the host writes and closes; the guest's nc counts with wc. Returns Mbit/s. With {@code halfClose}
     * the guest's nc reads /dev/null and so closes its sending side first (a half-closed flow); otherwise it reads a
     * FIFO it holds open (passt 2023-03 stops forwarding to a guest that closed its side first).
     */
    static double download(AgentClient agent, String gateway, ServerSocket host, int mib, boolean halfClose)
            throws Exception {
        CompletableFuture<Long> source = CompletableFuture.supplyAsync(() -> {
            try (Socket s = host.accept(); OutputStream out = s.getOutputStream()) {
                long start = System.nanoTime();
                byte[] b = new byte[1 << 16];
                for (int i = 0; i < mib * 16; i++) {
                    out.write(b);
                }
                return start;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        String nc = "nc " + gateway + " " + host.getLocalPort();
        ExecResult r = sh(agent, halfClose ? nc + " </dev/null | wc -c"
                : "f=/tmp/hold.$$; mkfifo $f; " + nc + " <>$f | wc -c; rm $f");
        long end = System.nanoTime();
        long start = source.get(GUARD_SECONDS, TimeUnit.SECONDS);
        double mbits = (double) mib * MIB * 8 / ((end - start) / 1e9) / 1e6;
        System.out.printf("real VM host->guest: %.0f Mbit/s (%d MiB, until the guest's nc exited)%n", mbits, mib);
        assertEquals(Long.toString((long) mib * MIB), r.stdoutText().trim(), r.stderrText());
        return mbits;
    }

    static CompletableFuture<Void> serveOnce(ServerSocket host, byte[] body) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = host.accept()) {
                InputStream in = s.getInputStream();
                byte[] b = new byte[4096];
                String head = "";
                while (!head.contains("\r\n\r\n")) {
                    int n = in.read(b);
                    if (n < 0) {
                        return;
                    }
                    head += new String(b, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes());
                out.write(body);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    static ExecResult sh(AgentClient agent, String script) {
        // a stalled transfer fails the run instead of hanging it
        return agent.run(ExecOptions.of("/bin/sh", "-c", script).timeout(Duration.ofSeconds(GUARD_SECONDS)).build());
    }
}
