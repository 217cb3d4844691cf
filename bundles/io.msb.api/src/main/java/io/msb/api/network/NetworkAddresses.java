package io.msb.api.network;

import java.util.List;
import java.util.Objects;

/**
 * The addresses a running sandbox's network was given (what {@code msb inspect} shows).
 *
 * @param ipv4 the guest's address with its prefix, e.g. {@code 172.16.0.2/30}
 * @param gateway the gateway, which is also {@code host.microsandbox.internal}
 * @param mac the guest interface's MAC address
 * @param mtu the interface's MTU
 * @param nameservers the nameservers the guest was told to use
 * @param ipv6 the guest's IPv6 address with its prefix, e.g. {@code fd42:6d73:62:1::2/64}, or null without IPv6
 * @param gateway6 the IPv6 gateway (also {@code host.microsandbox.internal}), or null without IPv6
 */
public record NetworkAddresses(String ipv4, String gateway, String mac, int mtu, List<String> nameservers,
        String ipv6, String gateway6) {
    public NetworkAddresses {
        Objects.requireNonNull(ipv4, "ipv4");
        Objects.requireNonNull(gateway, "gateway");
        nameservers = List.copyOf(nameservers);
    }

    /** IPv4 only. */
    public NetworkAddresses(String ipv4, String gateway, String mac, int mtu, List<String> nameservers) {
        this(ipv4, gateway, mac, mtu, nameservers, null, null);
    }
}
