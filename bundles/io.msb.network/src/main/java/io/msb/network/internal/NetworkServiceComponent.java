package io.msb.network.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbHome;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.InterfaceConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkCounters;
import io.msb.api.spi.NetworkService;
import io.msb.network.internal.intercept.Interception;
import io.msb.network.internal.intercept.SandboxIntercept;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.Dialer;
import io.msb.network.internal.stack.EventLoop;
import io.msb.network.internal.stack.HostDialer;
import io.msb.network.internal.stack.NetStack;
import io.msb.network.internal.stack.Packets;
import io.msb.network.internal.stack.Packets6.Addr6;
import io.msb.network.internal.stack.StackConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/** {@link NetworkService}: a {@link NetStack} per sandbox on a few shared selector loops. */
@Component(service = NetworkService.class, configurationPid = "io.msb.network",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = NetworkServiceConfig.class)
public final class NetworkServiceComponent implements NetworkService, AutoCloseable {
    static final String SOCKET = "net.sock";
    static final String STATE = "network.properties";
    /** sun_path is 108 bytes with its terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    private record Attached(NetStack stack, SandboxPolicy policy, NetworkAttachment attachment, int guestIp,
            SandboxIntercept intercept) {
    }

    private final NetworkServiceConfig config;
    private final SubnetPool pool;
    /** Where each sandbox's IPv6 /64 comes from, or null when the service gives sandboxes no IPv6. */
    private final Ipv6Pool pool6;
    private final EventLoop[] loops;
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final Dialer dialer;
    private final Map<String, Attached> attached = new ConcurrentHashMap<>();
    private final Interception interception;

    @Activate
    public NetworkServiceComponent(NetworkServiceConfig config) {
        this(config, new HostDialer());
    }

    /** With another dialer (tests). */
    public NetworkServiceComponent(NetworkServiceConfig config, Dialer dialer) {
        this.config = config;
        this.dialer = dialer;
        this.pool = new SubnetPool(config.subnetPool(), "subnetPool");
        this.interception = new Interception(config.tlsDir().isBlank() ? MsbHome.resolve(null).resolve("tls")
                : Path.of(config.tlsDir()).toAbsolutePath(), Arrays.asList(config.upstreamCaCerts()));
        this.pool6 = config.ipv6Pool().isBlank() ? null : Ipv6Pool.parse(config.ipv6Pool().trim(), "ipv6Pool");
        this.loops = new EventLoop[Math.max(1, config.selectorThreads())];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new EventLoop("msb-net-" + i);
        }
    }

    @Override
    public synchronized NetworkAttachment attach(String sandbox, Path stateDir, NetworkConfig network,
            Consumer<String> terminate) {
        Attached a = attached.get(sandbox);
        if (a != null) {
            return a.attachment(); // re-attach of a running sandbox: the same addresses
        }
        if (!network.enabled()) {
            throw new InvalidConfigException("network.enabled", "network.enabled is false: nothing to attach");
        }
        Path socket = stateDir.toAbsolutePath().resolve(SOCKET);
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("the network socket path is longer than " + MAX_SOCKET_PATH
                    + " bytes (a UNIX socket limit): " + socket);
        }
        InterfaceConfig iface = network.iface();
        int mtu = iface == null || iface.mtu() == null ? StackConfig.MAX_MTU : iface.mtu();
        if (mtu < StackConfig.MTU || mtu > StackConfig.MAX_MTU) {
            throw new InvalidConfigException("interface.mtu", "interface.mtu must be " + StackConfig.MTU + " to "
                    + StackConfig.MAX_MTU + ", got " + mtu);
        }
        int guest = address(sandbox, stateDir, iface);
        try {
            byte[] mac = iface != null && iface.mac() != null ? iface.mac() : macFor(guest);
            int gateway = guest - 1;
            Addr6 guest6 = address6(stateDir, iface, guest);
            NetworkConfig effective = withDefaults(network);
            List<java.net.InetAddress> hostGroup = guest6 == null ? List.of(NetStack.address(gateway))
                    : List.of(NetStack.address(gateway), guest6.withInterface(1).inet());
            SandboxPolicy policy = SandboxPolicy.compile(effective, hostGroup).ipv6Egress(HostRoutes.ipv6Default());
            StackConfig sc = new StackConfig(socket, mac, guest, effective.maxConnections(), effective.rateLimiter(),
                    effective.ports(), config.flowBufferKib() * 1024, config.udpIdleSeconds() * 1000L, mtu, guest6);
            SandboxIntercept intercept = Interception.needed(effective)
                    ? interception.attach(sandbox, effective, policy, dialer, terminate) : null;
            NetStack stack;
            try {
                stack = NetStack.start(loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)], sc, policy,
                        policy.dns(), intercept != null ? intercept : dialer);
            } catch (RuntimeException e) {
                if (intercept != null) {
                    intercept.close();
                }
                throw e;
            }
            Map<String, String> p = new LinkedHashMap<>();
            p.put("path", socket.toString());
            p.put("mac", mac(mac));
            p.put("ipv4", Packets.ip(guest) + "/30");
            p.put("gateway", Packets.ip(gateway));
            p.put("mtu", Integer.toString(mtu));
            p.put("dns", Packets.ip(gateway));
            p.put("hosts", "host.microsandbox.internal=" + Packets.ip(gateway));
            if (guest6 != null) {
                p.put("ipv6", guest6 + "/64");
                p.put("gateway6", guest6.withInterface(1).toString());
            }
            NetworkAttachment attachment = new NetworkAttachment("stream", p);
            remember(stateDir, guest, guest6, mac);
            attached.put(sandbox, new Attached(stack, policy, attachment, guest, intercept));
            return attachment;
        } catch (RuntimeException e) {
            pool.release(guest);
            throw e;
        }
    }

    /** The sandbox's guest address: the configured one, the one it had before (kept in its directory), or a new one. */
    private int address(String sandbox, Path stateDir, InterfaceConfig iface) {
        if (iface != null && iface.ipv4Address() != null) {
            int want = Packets.i32(iface.ipv4Address().getAddress(), 0);
            if ((want & 3) != 2) {
                throw new InvalidConfigException("interface.ipv4_address", "interface.ipv4_address must be the .2"
                        + " of a /30 (the gateway is the address before it), got " + Packets.ip(want));
            }
            if (!pool.take(want)) {
                throw new InvalidConfigException("interface.ipv4_address", "interface.ipv4_address "
                        + Packets.ip(want) + " is used by another sandbox");
            }
            return want;
        }
        int before = SubnetPool.parse(saved(stateDir).getProperty("ipv4", ""));
        if (before != 0 && pool.contains(before) && pool.take(before)) {
            return before;
        }
        return pool.allocate();
    }

    /**
     * The sandbox's IPv6 address (decision 1310): {@code interface.ipv6_address}; else the one it had before with
     * the same IPv4 address (kept in its directory); else ::2 of the /64 its IPv4 block numbers in
     * {@code interface.ipv6_pool} or the service's pool. Null when neither names a pool.
     */
    private Addr6 address6(Path stateDir, InterfaceConfig iface, int guest) {
        if (iface != null && iface.ipv6Address() != null) {
            return Ipv6Pool.checkGuest(iface.ipv6Address());
        }
        Ipv6Pool from = iface != null && iface.ipv6Pool() != null
                ? Ipv6Pool.parse(iface.ipv6Pool().toString(), "interface.ipv6_pool") : pool6;
        if (from == null) {
            return null;
        }
        Properties saved = saved(stateDir);
        String before = saved.getProperty("ipv6", "");
        if (!before.isEmpty() && Packets.ip(guest).equals(saved.getProperty("ipv4")) && before.indexOf(':') >= 0) {
            try {
                if (java.net.InetAddress.getByName(before) instanceof java.net.Inet6Address a) {
                    return Ipv6Pool.checkGuest(a);
                }
            } catch (java.net.UnknownHostException | InvalidConfigException e) {
                // derive it again
            }
        }
        return from.guest(pool.index(guest));
    }

    private static Properties saved(Path stateDir) {
        Properties saved = new Properties();
        Path file = stateDir.resolve(STATE);
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                saved.load(in);
            } catch (IOException e) {
                saved.clear();
            }
        }
        return saved;
    }

    private static void remember(Path stateDir, int guest, Addr6 guest6, byte[] mac) {
        Properties p = new Properties();
        p.setProperty("ipv4", Packets.ip(guest));
        if (guest6 != null) {
            p.setProperty("ipv6", guest6.toString());
        }
        p.setProperty("mac", mac(mac));
        try {
            Files.createDirectories(stateDir);
            try (OutputStream out = Files.newOutputStream(stateDir.resolve(STATE))) {
                p.store(out, "the sandbox's network addresses, kept across server restarts");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + stateDir.resolve(STATE), e);
        }
    }

    /** The service's defaults where the sandbox left microsandbox's defaults. */
    private NetworkConfig withDefaults(NetworkConfig n) {
        DnsConfig dns = n.dns();
        List<String> servers = dns.nameservers().isEmpty() ? Arrays.asList(config.nameservers()) : dns.nameservers();
        long timeout = dns.queryTimeoutMs() == DnsConfig.DEFAULT_QUERY_TIMEOUT_MS ? config.dnsTimeoutMs()
                : dns.queryTimeoutMs();
        int max = n.maxConnections() == NetworkConfig.DEFAULT_MAX_CONNECTIONS ? config.maxConnections()
                : n.maxConnections();
        return new NetworkConfig(n.enabled(), n.iface(), n.ports(), n.policy(),
                new DnsConfig(dns.rebindProtection(), new ArrayList<>(servers), timeout), n.tls(), n.secrets(), max,
                n.rateLimiter(), n.trustHostCas(), n.strict());
    }

    static byte[] macFor(int guest) {
        return new byte[] {0x02, 0x00, (byte) (guest >>> 24), (byte) (guest >>> 16), (byte) (guest >>> 8), (byte) guest};
    }

    static String mac(byte[] m) {
        StringBuilder b = new StringBuilder();
        for (byte x : m) {
            if (b.length() > 0) {
                b.append(':');
            }
            b.append(String.format("%02x", x & 0xff));
        }
        return b.toString();
    }

    @Override
    public void update(String sandbox, NetworkPolicy policy) {
        Attached a = attached.get(sandbox);
        if (a == null) {
            throw new io.msb.api.NotFoundException("sandbox network", sandbox);
        }
        a.policy().update(policy);
    }

    @Override
    public synchronized void detach(String sandbox) {
        Attached a = attached.remove(sandbox);
        if (a != null) {
            a.stack().close();
            if (a.intercept() != null) {
                a.intercept().close();
            }
            pool.release(a.guestIp());
        }
    }

    @Override
    public Optional<NetworkAttachment> attachment(String sandbox) {
        return Optional.ofNullable(attached.get(sandbox)).map(Attached::attachment);
    }

    @Override
    public Optional<NetworkCounters> counters(String sandbox) {
        Attached a = attached.get(sandbox);
        if (a == null) {
            return Optional.empty();
        }
        NetworkCounters c = a.stack().counters();
        long refusedInside = a.intercept() == null ? 0 : a.intercept().denials(); // strict's second look, secrets
        return Optional.of(new NetworkCounters(c.bytesOut(), c.bytesIn(), c.packetsOut(), c.packetsIn(),
                c.connectionsOpen(), c.connectionsTotal(), c.denials() + refusedInside));
    }

    /** What intercepted flows of the sandbox were refused lately, oldest first (strict policy, secret violations). */
    public List<String> recentDenials(String sandbox) {
        Attached a = attached.get(sandbox);
        return a == null || a.intercept() == null ? List.of() : a.intercept().recentDenials();
    }

    @Override
    public Optional<String> interceptCaPem() {
        return Optional.of(interception.installationCa().certificatePem());
    }

    @Deactivate
    @Override
    public synchronized void close() {
        for (String s : List.copyOf(attached.keySet())) {
            detach(s);
        }
        for (EventLoop l : loops) {
            l.close();
        }
        interception.close();
    }
}
