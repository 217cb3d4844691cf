package io.msb.cli.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkOptions;
import io.msb.api.network.SecretOptions;
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

    @Option(names = "--secret", paramLabel = "ENV=VALUE@HOST[,HOST]",
        description = "A secret the guest can use but never read: its ENV holds $MSB_ENV, and the network puts VALUE"
            + " in its place only in requests to HOST (a name, *.example.com, or * for any host); repeatable.")
    List<String> secrets = new ArrayList<>();

    @Option(names = "--secret-from-env", paramLabel = "ENV@HOST[,HOST]",
        description = "As --secret, the value read from this command's own environment variable ENV; repeatable.")
    List<String> secretsFromEnv = new ArrayList<>();

    @Option(names = "--secret-on-violation", paramLabel = "ACTION",
        description = "When a placeholder goes to a host its secret does not allow: block, block-and-log (default)"
            + " or block-and-terminate (stops the sandbox).")
    String onViolation;

    @Option(names = "--net-strict",
        description = "Require hostname-based network allows to use inspectable request authority (TLS SNI, HTTP"
            + " Host, CONNECT target).")
    boolean strict;

    @Option(names = "--tls-intercept-port", paramLabel = "PORT",
        description = "Intercept TLS on this guest destination port instead of 443 (turns interception on); repeatable.")
    List<Integer> tlsInterceptPorts = new ArrayList<>();

    @Option(names = "--tls-bypass", paramLabel = "HOST",
        description = "Never intercept TLS to HOST (a name or *.example.com), e.g. for certificate pinning; repeatable.")
    List<String> tlsBypass = new ArrayList<>();

    private SecretOptions secretOptions() {
        return new SecretOptions(secrets, secretsFromEnv, onViolation, strict, tlsInterceptPorts, tlsBypass);
    }

    /** Whether any network option was given; without one the server's default (on, public profile) applies. */
    boolean given() {
        return disabled || profile != null || !ports.isEmpty() || !allow.isEmpty() || !deny.isEmpty() || !dns.isEmpty()
                || secretOptions().given();
    }

    /**
     * The body's {@code network} object in microsandbox's JSON form, secret values included (the server moves them
     * into its secret store); a bad option fails before any request, naming it and never a value.
     *
     * @param environment this command's environment, where {@code --secret-from-env} reads
     */
    Map<String, Object> network(Map<String, String> environment) {
        try {
            NetworkConfig config = secretOptions().applyTo(
                    new NetworkOptions(disabled, profile, allow, deny, ports, dns).toConfig(), environment::get);
            return config.toMap(true);
        } catch (InvalidConfigException e) {
            throw new CliException(e.getMessage().replaceFirst("^invalid config: ", ""));
        }
    }
}
