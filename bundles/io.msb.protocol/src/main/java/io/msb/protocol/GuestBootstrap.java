package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.msb.api.InvalidConfigException;
import io.msb.api.spi.NetworkAttachment;
import io.msb.protocol.internal.Codec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Per-sandbox settings agentd applies as PID 1 before it serves the protocol (decision 0203; names follow
 * microsandbox's GuestBootstrap). It reaches the VMM backend as the argument {@code msb.bootstrap=<base64url(CBOR)>}
 * among {@code VmSpec.kernelArgs}; the backend takes it off the command line and hands it to the guest privately,
 * since it carries the environment and so secrets (decision 0240). Absent fields are left out of the encoding
 * and take agentd's defaults.
 *
 * @param hostname guest hostname (at most 64 bytes)
 * @param defaultEnv environment every process inherits
 * @param user default user of execs (name or uid[:gid])
 * @param defaultCwd default working directory of execs
 * @param rlimits limits applied to PID 1 and so inherited
 * @param network the guest's eth0, or null for a sandbox without a network (decision 0260)
 * @param handoffInit the init agentd hands PID 1 to once the guest is ready, or null to stay PID 1 (decision 0431)
 * @param mounts what agentd mounts in the new root before anything runs, parents before children (decision 1202)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record GuestBootstrap(String hostname, List<EnvVar> defaultEnv, String user, String defaultCwd,
        List<Rlimit> rlimits, Network network, HandoffInit handoffInit, List<Mount> mounts) {

    /** The argument's prefix. */
    public static final String ARGUMENT_PREFIX = "msb.bootstrap=";
    /** The most CBOR bytes agentd reads (its BOOTSTRAP_MAX); env itself is limited to 256 KiB before this. */
    public static final int MAX_BYTES = 1 << 20;

    public record EnvVar(String key, String value) {
    }

    public record Rlimit(String resource, long soft, long hard) {
    }

    /**
     * The guest's network interface as agentd configures it (decision 0260): {@code address/prefix} on the
     * interface with {@code mac} (else eth0), a default route via {@code gateway}, the MTU, resolv.conf's
     * nameservers and /etc/hosts entries. agentd checks the same rules again.
     *
     * @param address the guest's IPv4 address (dotted quad)
     * @param prefix its subnet's prefix length, 1 to 30
     * @param gateway another host address of that subnet
     * @param mtu 68 to 65535
     * @param nameservers at most {@value #MAX_NAMESERVERS} IPv4 addresses, in order (may be empty)
     * @param hosts at most {@value #MAX_HOSTS} /etc/hosts entries
     * @param mac the interface's MAC (unicast), or null for eth0 whatever its address
     * @param address6 the guest's IPv6 address beside the IPv4 one (decision 1312), or null for none; then
     *     {@code prefix6} and {@code gateway6} are null too
     * @param prefix6 its prefix length, 1 to 128 (the network service gives a /64)
     * @param gateway6 the IPv6 default route's gateway; /etc/hosts names it {@value #HOST_ALIAS} too
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Network(String address, int prefix, String gateway, int mtu, List<String> nameservers,
            List<Host> hosts, String mac, String address6, Integer prefix6, String gateway6) {
        public static final int MAX_NAMESERVERS = 3;
        public static final int MAX_HOSTS = 16;
        public static final int MIN_MTU = 68;
        public static final int MAX_MTU = 65535;
        public static final int DEFAULT_MTU = 1500;
        /** What the network service's {@code hosts} parameter always maps to the gateway. */
        public static final String HOST_ALIAS = "host.microsandbox.internal";
        private static final Pattern OCTET = Pattern.compile("25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]");
        private static final Pattern IPV4 = Pattern.compile("(" + OCTET + ")(\\.(" + OCTET + ")){3}");
        private static final Pattern NAME = Pattern.compile(
                "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
        private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

        /** IPv4 only. */
        public Network(String address, int prefix, String gateway, int mtu, List<String> nameservers,
                List<Host> hosts, String mac) {
            this(address, prefix, gateway, mtu, nameservers, hosts, mac, null, null, null);
        }

        public Network {
            if (address6 != null || prefix6 != null || gateway6 != null) {
                byte[] a = ipv6("network.address6", address6);
                if ((a[0] & 0xff) == 0xff || (a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80
                        || java.util.Arrays.equals(a, new byte[16])) {
                    throw invalid("network.address6", "must be a unicast IPv6 address, not link-local, is '"
                            + address6 + "'");
                }
                if (prefix6 == null || prefix6 < 1 || prefix6 > 128) {
                    throw invalid("network.prefix6", "is required with address6 and must be 1 to 128, is " + prefix6);
                }
                byte[] g = ipv6("network.gateway6", gateway6);
                if ((g[0] & 0xff) == 0xff || java.util.Arrays.equals(g, new byte[16])
                        || java.util.Arrays.equals(g, a)) {
                    throw invalid("network.gateway6", "must be another unicast IPv6 address, is '" + gateway6 + "'");
                }
            }
            nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
            hosts = hosts == null ? List.of() : List.copyOf(hosts);
            int addr = ipv4("network.address", address);
            if (prefix < 1 || prefix > 30) {
                throw invalid("network.prefix", "must be 1 to 30, is " + prefix);
            }
            int gw = ipv4("network.gateway", gateway);
            if (mtu < MIN_MTU || mtu > MAX_MTU) {
                throw invalid("network.mtu", "must be " + MIN_MTU + " to " + MAX_MTU + ", is " + mtu);
            }
            int mask = -1 << (32 - prefix);
            int net = addr & mask;
            int broadcast = net | ~mask;
            if (addr == net || addr == broadcast) {
                throw invalid("network.address", "must not be its subnet's network or broadcast address");
            }
            if ((gw & mask) != net || gw == net || gw == broadcast || gw == addr) {
                throw invalid("network.gateway", "must be another host address in " + address + "/" + prefix);
            }
            if (nameservers.size() > MAX_NAMESERVERS) {
                throw invalid("network.nameservers", "has " + nameservers.size() + " entries (max "
                        + MAX_NAMESERVERS + ")");
            }
            for (int i = 0; i < nameservers.size(); i++) {
                ipv4("network.nameservers[" + i + "]", nameservers.get(i));
            }
            if (hosts.size() > MAX_HOSTS) {
                throw invalid("network.hosts", "has " + hosts.size() + " entries (max " + MAX_HOSTS + ")");
            }
            for (int i = 0; i < hosts.size(); i++) {
                Host h = hosts.get(i);
                if (h == null || h.name() == null || h.name().length() > 253 || !NAME.matcher(h.name()).matches()) {
                    throw invalid("network.hosts[" + i + "].name", "must be a DNS name of at most 253 bytes"
                            + " (letters, digits, '-', '.')");
                }
                ipv4("network.hosts[" + i + "].address", h.address());
            }
            if (mac != null && (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0
                    || mac.equals("00:00:00:00:00:00"))) {
                throw invalid("network.mac", "must be a unicast MAC address like 02:00:00:00:00:01, is '" + mac + "'");
            }
        }

        /**
         * The guest side of a network service's attachment (kind {@code stream}; parameters {@code ipv4} =
         * address/prefix, {@code gateway}, {@code mtu} (default 1500), {@code dns} (comma-separated; default the
         * gateway), {@code hosts} (comma-separated name=address), {@code mac}; with IPv6 {@code ipv6} =
         * address/prefix and {@code gateway6}). {@value #HOST_ALIAS} always names the gateway.
         *
         * @throws InvalidConfigException naming the parameter and the rule it broke
         */
        public static Network of(NetworkAttachment attachment) {
            Map<String, String> p = attachment.parameters();
            String cidr = p.get("ipv4");
            int slash = cidr == null ? -1 : cidr.indexOf('/');
            if (slash < 0 || !cidr.substring(slash + 1).matches("[0-9]{1,2}")) {
                throw invalid("network.parameters.ipv4", "must be an address with a prefix length, e.g."
                        + " 172.16.0.2/30, is '" + cidr + "'");
            }
            String gateway = p.get("gateway");
            int mtu = DEFAULT_MTU;
            if (p.get("mtu") != null) {
                if (!p.get("mtu").matches("[0-9]{1,5}")) {
                    throw invalid("network.parameters.mtu", "must be a number, is '" + p.get("mtu") + "'");
                }
                mtu = Integer.parseInt(p.get("mtu"));
            }
            List<String> dns = p.get("dns") == null ? List.of(String.valueOf(gateway)) : split(p.get("dns"));
            List<Host> hosts = new ArrayList<>();
            for (String entry : p.get("hosts") == null ? List.<String>of() : split(p.get("hosts"))) {
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw invalid("network.parameters.hosts", "entries must be name=address, is '" + entry + "'");
                }
                hosts.add(new Host(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim()));
            }
            if (hosts.stream().noneMatch(h -> h.name().equalsIgnoreCase(HOST_ALIAS))) {
                hosts.add(new Host(HOST_ALIAS, gateway));
            }
            String cidr6 = p.get("ipv6");
            String address6 = null;
            Integer prefix6 = null;
            if (cidr6 != null) {
                int slash6 = cidr6.indexOf('/');
                if (slash6 < 0 || !cidr6.substring(slash6 + 1).matches("[0-9]{1,3}")) {
                    throw invalid("network.parameters.ipv6", "must be an address with a prefix length, e.g."
                            + " fd42:6d73:62::2/64, is '" + cidr6 + "'");
                }
                address6 = cidr6.substring(0, slash6);
                prefix6 = Integer.parseInt(cidr6.substring(slash6 + 1));
            }
            return new Network(cidr.substring(0, slash), Integer.parseInt(cidr.substring(slash + 1)), gateway, mtu,
                    dns, hosts, p.get("mac"), address6, prefix6, cidr6 == null ? null : p.get("gateway6"));
        }

        /** An IPv6 literal's 16 bytes (never a name lookup); the field's error when it is not one. */
        private static byte[] ipv6(String field, String value) {
            if (value == null || value.length() > 45 || value.indexOf(':') < 0 || !value.matches("[0-9A-Fa-f:.]+")) {
                throw invalid(field, "must be an IPv6 address, is '" + value + "'");
            }
            try {
                byte[] b = java.net.InetAddress.getByName(value).getAddress();
                if (b.length != 16) {
                    throw invalid(field, "must be an IPv6 address, is '" + value + "'");
                }
                return b;
            } catch (java.net.UnknownHostException e) {
                throw invalid(field, "must be an IPv6 address, is '" + value + "'");
            }
        }

        private static List<String> split(String list) {
            return java.util.Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }

        /** The address as an int; the field's error when it is not a dotted quad. */
        private static int ipv4(String field, String value) {
            if (value == null || !IPV4.matcher(value).matches()) {
                throw invalid(field, "must be an IPv4 address (a.b.c.d), is '" + value + "'");
            }
            int a = 0;
            for (String octet : value.split("\\.")) {
                a = a << 8 | Integer.parseInt(octet);
            }
            return a;
        }

        private static InvalidConfigException invalid(String field, String rule) {
            return new InvalidConfigException(field, field + " " + rule);
        }
    }

    /** One /etc/hosts line: {@code address<TAB>name}. */
    public record Host(String name, String address) {
    }

    /**
     * microsandbox's {@code BootstrapHandoffInit}: agentd forks once the guest is ready; PID 1 executes {@code cmd}
     * (an absolute path, or {@code auto} for the image's /sbin/init or systemd) with {@code args} after argv[0] and
     * {@code env} over agentd's environment, and the child serves the agent. The API's {@code HandoffInit} checked
     * the fields; agentd checks them again.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record HandoffInit(String cmd, List<String> args, List<EnvVar> env) {
        public HandoffInit {
            args = args == null ? List.of() : List.copyOf(args);
            env = env == null ? List.of() : List.copyOf(env);
        }

        /** The API's handoff as agentd reads it; null stays null. */
        public static HandoffInit of(io.msb.api.HandoffInit init) {
            return init == null ? null : new HandoffInit(init.cmd(), init.args(), GuestBootstrap.env(init.env()));
        }
    }

    /**
     * One mount as agentd reads it (its {@code bootstrap_mounts}; it checks the same rules again).
     *
     * @param kind {@value #SHARE} (source = the share's tag), {@value #DISK} (source = the disk's serial) or
     *        {@value #TMPFS} (no source)
     * @param path absolute, normalized, not {@code /}
     * @param fstype a disk's file system (null: ext4)
     * @param sizeMib a tmpfs's size (null: the kernel's default)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Mount(String kind, String source, String path, String fstype, Integer sizeMib, boolean readonly,
            boolean noexec, boolean nosuid, boolean nodev) {
        public static final String SHARE = "9p";
        public static final String DISK = "disk";
        public static final String TMPFS = "tmpfs";
    }

    public GuestBootstrap {
        defaultEnv = defaultEnv == null ? List.of() : List.copyOf(defaultEnv);
        rlimits = rlimits == null ? List.of() : List.copyOf(rlimits);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
    }

    /** A bootstrap without mounts. */
    public GuestBootstrap(String hostname, List<EnvVar> defaultEnv, String user, String defaultCwd,
            List<Rlimit> rlimits, Network network, HandoffInit handoffInit) {
        this(hostname, defaultEnv, user, defaultCwd, rlimits, network, handoffInit, List.of());
    }

    /** A bootstrap without a network. */
    public GuestBootstrap(String hostname, List<EnvVar> defaultEnv, String user, String defaultCwd,
            List<Rlimit> rlimits) {
        this(hostname, defaultEnv, user, defaultCwd, rlimits, null);
    }

    /** A bootstrap without an init handoff. */
    public GuestBootstrap(String hostname, List<EnvVar> defaultEnv, String user, String defaultCwd,
            List<Rlimit> rlimits, Network network) {
        this(hostname, defaultEnv, user, defaultCwd, rlimits, network, null);
    }

    /** Environment entries in the order of the map. */
    public static List<EnvVar> env(Map<String, String> env) {
        return env.entrySet().stream().map(e -> new EnvVar(e.getKey(), e.getValue())).toList();
    }

    /**
     * The argument that carries this bootstrap to the VMM backend, which delivers it off the command line.
     *
     * @throws IllegalArgumentException if its CBOR exceeds {@link #MAX_BYTES}
     */
    public String kernelArgument() {
        byte[] cbor = Codec.encodePayload(this);
        if (cbor.length > MAX_BYTES) {
            throw new IllegalArgumentException("the guest bootstrap is " + cbor.length + " bytes (max " + MAX_BYTES
                    + "): pass large data to the sandbox as files or exec input instead");
        }
        return ARGUMENT_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(cbor);
    }
}
