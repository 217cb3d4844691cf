package io.msb.api.network;

import io.msb.api.InvalidConfigException;

/**
 * A host port forwarded to a guest port: microsandbox's {@code {host_port, guest_port, protocol, host_bind}}.
 *
 * @param hostBind the host address to listen on; {@code null} means {@code 127.0.0.1}
 */
public record PublishedPort(int hostPort, int guestPort, Protocol protocol, String hostBind) {
    /** The transport of a published port ({@code "tcp"}, the default, or {@code "udp"}). */
    public enum Protocol { TCP, UDP }

    public static final String DEFAULT_HOST_BIND = "127.0.0.1";

    public PublishedPort {
        if (hostPort < 1 || hostPort > 65535) {
            throw new InvalidConfigException("ports.host_port", "ports.host_port must be 1-65535: " + hostPort);
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new InvalidConfigException("ports.guest_port", "ports.guest_port must be 1-65535: " + guestPort);
        }
        protocol = protocol == null ? Protocol.TCP : protocol;
        hostBind = hostBind == null || hostBind.isBlank() ? DEFAULT_HOST_BIND : hostBind;
    }
}
