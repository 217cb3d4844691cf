package io.msb.network.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb network",
        description = "Each sandbox's user-space network: addressing, shared selector threads, defaults")
public @interface NetworkServiceConfig {
    @AttributeDefinition(description = "IPv4 block each sandbox's /30 is taken from (microsandbox: 172.16.0.0/12)")
    String subnetPool() default "172.16.0.0/12";

    @AttributeDefinition(min = "1", max = "64", description = "Selector threads shared by all sandbox networks")
    int selectorThreads() default 2;

    @AttributeDefinition(min = "1", max = "4096",
            description = "max_connections for a sandbox that leaves it at microsandbox's default (256)")
    int maxConnections() default 256;

    @AttributeDefinition(min = "1", max = "60000",
            description = "DNS query timeout in ms for a sandbox that leaves it at the default (5000)")
    long dnsTimeoutMs() default 5000;

    @AttributeDefinition(description = "Nameservers (IP or IP:PORT) for sandboxes that name none; empty means the"
            + " host's /etc/resolv.conf")
    String[] nameservers() default {};

    @AttributeDefinition(min = "8", max = "1024", description = "KiB buffered per TCP flow and direction")
    int flowBufferKib() default 256;

    @AttributeDefinition(min = "1", max = "3600", description = "Seconds after which an idle UDP flow is closed")
    int udpIdleSeconds() default 60;

    @AttributeDefinition(description = "Directory of the CA intercepted TLS is signed with (ca.crt, ca.key: created on"
            + " first use, the key owner-only); empty means <msb home>/tls, the home being $MSB_HOME, else the"
            + " msb.home property, else ~/.msb")
    String tlsDir() default "";

    @AttributeDefinition(description = "PEM files of CAs that upstream servers of intercepted TLS may be signed by,"
            + " for every sandbox (beside the JDK's trust store and each sandbox's tls.upstream_ca_cert)")
    String[] upstreamCaCerts() default {};
}
