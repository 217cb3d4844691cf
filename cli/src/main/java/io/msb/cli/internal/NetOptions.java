package io.msb.cli.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The network options of {@code msb run}; the mapping itself is the API's {@link NetworkOptions}. */
final class NetOptions {
    @Option(names = {"-p", "--publish"}, paramLabel = "[BIND:]HOST:GUEST[/udp]",
        description = "Publish a guest port on the host (BIND defaults to 127.0.0.1; tcp unless /udp).")
    List<String> ports = new ArrayList<>();

    @Option(names = "--no-net", description = "No network interface at all.")
    boolean disabled;

    @Option(names = "--net-profile", paramLabel = "PROFILE",
        description = "Base policy: public (default: the internet, DNS), private, host, none or all.")
    String profile;

    @Option(names = "--net-allow", paramLabel = "DEST[:PORT[-PORT]]",
        description = "Allow egress to DEST: a group (public, private, host, loopback, link_local, metadata, "
            + "multicast), any, an address or CIDR, *.example.com (with subdomains) or a domain.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--net-deny", paramLabel = "DEST[:PORT[-PORT]]",
        description = "Deny egress to DEST (same forms; checked before the --net-allow rules).")
    List<String> deny = new ArrayList<>();

    @Option(names = "--dns", paramLabel = "SERVER",
        description = "Nameserver the sandbox's DNS queries are resolved with (IP, IP:PORT, HOST); repeatable.")
    List<String> dns = new ArrayList<>();

    /** Whether any network option was given; without one the server's default (on, public profile) applies. */
    boolean given() {
        return disabled || profile != null || !ports.isEmpty() || !allow.isEmpty() || !deny.isEmpty() || !dns.isEmpty();
    }

    /** The body's {@code network} object in microsandbox's JSON form; a bad option fails before any request. */
    Map<String, Object> network() {
        try {
            NetworkConfig config = new NetworkOptions(disabled, profile, allow, deny, ports, dns).toConfig();
            return config.toMap();
        } catch (InvalidConfigException e) {
            throw new CliException(e.getMessage().replaceFirst("^invalid config: ", ""));
        }
    }
}
