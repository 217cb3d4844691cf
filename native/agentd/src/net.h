/* The guest's network from the bootstrap's "network" map (decision 0260): checked here, applied by PID 1 with
 * ioctls on an AF_INET socket (address, netmask, MTU, up, default route), no DHCP. The map comes from the host,
 * but PID 1 still checks every field and bound before any of it reaches the kernel or /etc. */
#ifndef AGENTD_NET_H
#define AGENTD_NET_H

#include <stddef.h>
#include <stdint.h>

#include "cbor.h"

#define NET_MAX_NAMESERVERS 3 /* what libc resolvers read from resolv.conf (MAXNS) */
#define NET_MAX_HOSTS 16
#define NET_MAX_NAME 253 /* a DNS name */
#define NET_MIN_MTU 68   /* IPv4's minimum */
#define NET_MAX_MTU 65535
#define NET_HOST_ALIAS "host.microsandbox.internal" /* what the IPv6 gateway's /etc/hosts line names */

struct net_host {
    char name[NET_MAX_NAME + 1];
    uint32_t addr; /* network byte order */
};

struct net_config {
    uint32_t addr, gateway; /* network byte order */
    unsigned prefix, mtu;
    /* IPv6 beside IPv4 (decision 1312), only when the map has address6, prefix6 and gateway6 */
    int has_ipv6;
    uint8_t addr6[16], gateway6[16];
    unsigned prefix6;
    int has_mac;
    uint8_t mac[6];
    size_t nameservers, hosts;
    uint32_t nameserver[NET_MAX_NAMESERVERS];
    struct net_host host[NET_MAX_HOSTS];
};

/* A DNS name as /etc/hosts can hold it: labels of 1-63 letters, digits and '-' (not first or last), dots between
 * them, at most NET_MAX_NAME bytes; nothing that could start a comment, a new field or a new line. */
int net_name_ok(const char *s, size_t n);

/* Checks the bootstrap's network map into c. Returns 0, or -1 with a message naming the field and the rule
 * ("network.gateway must be inside 172.16.0.0/30"). */
int net_parse(const struct cv *map, struct net_config *c, char *err, size_t errlen);

/* resolv.conf's text for c's nameservers ("" when it has none); the /etc/hosts lines of its host entries, and with
 * IPv6 a line naming gateway6 host.microsandbox.internal.
 * Both return the length written, truncating to fit n (always NUL-terminated). */
size_t net_resolv_conf(const struct net_config *c, char *out, size_t n);
size_t net_hosts_lines(const struct net_config *c, char *out, size_t n);

/* Brings lo up. */
int net_loopback_up(char *err, size_t errlen);

/* Configures the interface with c's MAC (or eth0 when c names none), waiting up to wait_ms for it to appear:
 * MTU, address/prefix, up, default route via the gateway; with IPv6 also address6/prefix6 (no duplicate address
 * detection: usable at once) and the IPv6 default route via gateway6, over rtnetlink. Returns 0, or -1 with what
 * failed. */
int net_up(const struct net_config *c, int wait_ms, char *ifname, size_t ifnamelen, char *err, size_t errlen);

/* Moves the configured interface ifname from old to c (msb.identity.apply, decision 1240): deletes the default route via
 * the old gateway, takes the link down, sets c's MAC if it has one, then configures it as net_up does (the new address
 * replaces the old one). Returns 0, or -1 with what failed. */
int net_reconfigure(const char *ifname, const struct net_config *old, const struct net_config *c, char *err,
                    size_t errlen);

#endif
