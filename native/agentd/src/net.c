/* The guest's network (decision 0260): the bootstrap's "network" map checked field by field, then applied with
 * the classic interface and route ioctls, which need no netlink message building for four settings. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static int fail(char *err, size_t errlen, const char *field, const char *rule)
{
    snprintf(err, errlen, "network.%s %s", field, rule);
    return -1;
}

/* An IPv6 literal only (inet_pton's AF_INET6 form, at most 45 characters): no names, no scope. */
static int ipv6(const struct cv *v, uint8_t out[16])
{
    struct in6_addr a;
    if (!v || v->type != CV_TEXT || v->n > 45 || strlen(v->s) != v->n || inet_pton(AF_INET6, v->s, &a) != 1)
        return -1;
    memcpy(out, &a, 16);
    return 0;
}

/* The optional IPv6 half: address6, prefix6 and gateway6 all present, or none. */
static int parse6(const struct cv *map, struct net_config *c, char *err, size_t errlen)
{
    struct fields f = {.map = map};
    const struct cv *a = cv_get(map, "address6"), *g = cv_get(map, "gateway6"), *p = cv_get(map, "prefix6");
    if (cv_is_absent(a) && cv_is_absent(g) && cv_is_absent(p))
        return 0;
    uint64_t prefix = 0;
    static const uint8_t zero[16];
    if (ipv6(a, c->addr6) || c->addr6[0] == 0xff || !memcmp(c->addr6, zero, 16) ||
        (c->addr6[0] == 0xfe && (c->addr6[1] & 0xc0) == 0x80))
        return fail(err, errlen, "address6", "must be a unicast IPv6 address, not link-local");
    if (f_u64(&f, "prefix6", 1, 128, &prefix) || prefix < 1)
        return fail(err, errlen, "prefix6", "is required with address6 and must be 1 to 128");
    if (ipv6(g, c->gateway6) || c->gateway6[0] == 0xff || !memcmp(c->gateway6, zero, 16) ||
        !memcmp(c->gateway6, c->addr6, 16))
        return fail(err, errlen, "gateway6", "must be another unicast IPv6 address");
    c->prefix6 = (unsigned)prefix;
    c->has_ipv6 = 1;
    return 0;
}

/* A dotted quad only (inet_pton's AF_INET form): no short forms, no hex, no names. */
static int ipv4(const struct cv *v, uint32_t *out)
{
    struct in_addr a;
    if (!v || v->type != CV_TEXT || v->n > 15 || strlen(v->s) != v->n || inet_pton(AF_INET, v->s, &a) != 1)
        return -1;
    *out = a.s_addr;
    return 0;
}

int net_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NET_MAX_NAME || strlen(s) != n)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c == '.' || c == 0) {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c == '-' && label)) {
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

static int mac_parse(const struct cv *v, uint8_t mac[6])
{
    if (!v || v->type != CV_TEXT || v->n != 17 || strlen(v->s) != 17)
        return -1;
    for (int i = 0; i < 6; i++) {
        unsigned b = 0;
        for (int j = 0; j < 2; j++) {
            char c = v->s[i * 3 + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return -1;
            b = b << 4 | (unsigned)d;
        }
        if (i < 5 && v->s[i * 3 + 2] != ':')
            return -1;
        mac[i] = (uint8_t)b;
    }
    static const uint8_t zero[6];
    return (mac[0] & 1) || !memcmp(mac, zero, 6) ? -1 : 0; /* a unicast, non-zero address */
}

int net_parse(const struct cv *map, struct net_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (!map || map->type != CV_MAP)
        return fail(err, errlen, "", "must be a map");
    struct fields f = {.map = map};
    uint64_t prefix, mtu = 1500;
    if (ipv4(cv_get(map, "address"), &c->addr))
        return fail(err, errlen, "address", "must be an IPv4 address (a.b.c.d)");
    if (f_u64(&f, "prefix", 1, 30, &prefix) || prefix < 1)
        return fail(err, errlen, "prefix", "is required and must be 1 to 30");
    if (ipv4(cv_get(map, "gateway"), &c->gateway))
        return fail(err, errlen, "gateway", "must be an IPv4 address (a.b.c.d)");
    if (f_u64(&f, "mtu", 0, NET_MAX_MTU, &mtu) < 0 || mtu < NET_MIN_MTU)
        return fail(err, errlen, "mtu", "must be 68 to 65535");
    c->prefix = (unsigned)prefix;
    c->mtu = (unsigned)mtu;
    uint32_t mask = htonl(~0u << (32 - c->prefix)), net = c->addr & mask, bcast = net | ~mask;
    if (c->addr == net || c->addr == bcast)
        return fail(err, errlen, "address", "must not be its subnet's network or broadcast address");
    if ((c->gateway & mask) != net || c->gateway == net || c->gateway == bcast || c->gateway == c->addr)
        return fail(err, errlen, "gateway", "must be another host address in the address's subnet");
    const struct cv *mac = cv_get(map, "mac");
    if (!cv_is_absent(mac)) {
        if (mac_parse(mac, c->mac))
            return fail(err, errlen, "mac", "must be a unicast MAC address like 02:00:00:00:00:01");
        c->has_mac = 1;
    }
    const struct cv *ns = cv_get(map, "nameservers");
    if (!cv_is_absent(ns)) {
        if (ns->type != CV_ARRAY || ns->n > NET_MAX_NAMESERVERS)
            return fail(err, errlen, "nameservers", "must be an array of at most 3 IPv4 addresses");
        for (size_t i = 0; i < ns->n; i++) {
            char field[40];
            snprintf(field, sizeof field, "nameservers[%zu]", i);
            if (ipv4(&ns->kids[i], &c->nameserver[i]))
                return fail(err, errlen, field, "must be an IPv4 address (a.b.c.d)");
        }
        c->nameservers = ns->n;
    }
    const struct cv *hosts = cv_get(map, "hosts");
    if (!cv_is_absent(hosts)) {
        if (hosts->type != CV_ARRAY || hosts->n > NET_MAX_HOSTS)
            return fail(err, errlen, "hosts", "must be an array of at most 16 {name, address} maps");
        for (size_t i = 0; i < hosts->n; i++) {
            const struct cv *h = &hosts->kids[i], *name = h->type == CV_MAP ? cv_get(h, "name") : NULL;
            char field[40];
            snprintf(field, sizeof field, "hosts[%zu].name", i);
            if (!name || name->type != CV_TEXT || !net_name_ok(name->s, name->n))
                return fail(err, errlen, field, "must be a DNS name of at most 253 bytes (letters, digits, '-', '.')");
            snprintf(field, sizeof field, "hosts[%zu].address", i);
            if (ipv4(cv_get(h, "address"), &c->host[i].addr))
                return fail(err, errlen, field, "must be an IPv4 address (a.b.c.d)");
            memcpy(c->host[i].name, name->s, name->n + 1);
        }
        c->hosts = hosts->n;
    }
    return parse6(map, c, err, errlen);
}

/* Appends "first<tab>second\n" (or "first second\n" for a nameserver line) to out[*len..n), keeping it
 * NUL-terminated and stopping at n - 1. */
static void append(char *out, size_t n, size_t *len, const char *first, const char *sep, const char *second)
{
    if (*len + 1 >= n)
        return;
    int w = snprintf(out + *len, n - *len, "%s%s%s\n", first, sep, second);
    if (w > 0)
        *len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

static const char *dotted(uint32_t a, char buf[16])
{
    return inet_ntop(AF_INET, &a, buf, 16);
}

/* resolv.conf's nameserver lines, or with hosts set the /etc/hosts lines. */
static size_t lines(const struct net_config *c, int hosts, char *out, size_t n)
{
    size_t len = 0;
    char ip[16];
    if (n)
        out[0] = 0;
    for (size_t i = 0; i < (hosts ? c->hosts : c->nameservers); i++) {
        if (hosts)
            append(out, n, &len, dotted(c->host[i].addr, ip), "\t", c->host[i].name);
        else
            append(out, n, &len, "nameserver", " ", dotted(c->nameserver[i], ip));
    }
    char ip6[INET6_ADDRSTRLEN];
    if (hosts && c->has_ipv6 && inet_ntop(AF_INET6, c->gateway6, ip6, sizeof ip6))
        append(out, n, &len, ip6, "\t", NET_HOST_ALIAS);
    return len;
}

size_t net_resolv_conf(const struct net_config *c, char *out, size_t n)
{
    return lines(c, 0, out, n);
}

size_t net_hosts_lines(const struct net_config *c, char *out, size_t n)
{
    return lines(c, 1, out, n);
}

static int req(int fd, unsigned long op, struct ifreq *r, const char *what, char *err, size_t errlen)
{
    if (ioctl(fd, op, r) == 0)
        return 0;
    snprintf(err, errlen, "%s on %s: %s", what, r->ifr_name, strerror(errno));
    return -1;
}

static int set_up(int fd, const char *name, char *err, size_t errlen)
{
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof r.ifr_name, "%s", name);
    if (req(fd, SIOCGIFFLAGS, &r, "SIOCGIFFLAGS", err, errlen))
        return -1;
    r.ifr_flags |= IFF_UP | IFF_RUNNING;
    return req(fd, SIOCSIFFLAGS, &r, "SIOCSIFFLAGS", err, errlen);
}

static int inet_socket(char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        snprintf(err, errlen, "socket: %s", strerror(errno));
    return fd;
}

int net_loopback_up(char *err, size_t errlen)
{
    int fd = inet_socket(err, errlen);
    if (fd < 0)
        return -1;
    int rc = set_up(fd, "lo", err, errlen);
    close(fd);
    return rc;
}

/* The interface with c's MAC, or eth0: 0 with its name, -1 when none is there (yet). */
static int find_interface(int fd, const struct net_config *c, char name[IF_NAMESIZE])
{
    if (!c->has_mac) {
        snprintf(name, IF_NAMESIZE, "eth0");
        return if_nametoindex(name) ? 0 : -1;
    }
    struct if_nameindex *all = if_nameindex(), *i;
    int found = -1;
    for (i = all; i && i->if_index && found; i++) {
        struct ifreq r = {0};
        snprintf(r.ifr_name, sizeof r.ifr_name, "%s", i->if_name);
        if (ioctl(fd, SIOCGIFHWADDR, &r) == 0 && !memcmp(r.ifr_hwaddr.sa_data, c->mac, 6)) {
            snprintf(name, IF_NAMESIZE, "%s", i->if_name);
            found = 0;
        }
    }
    if (all)
        if_freenameindex(all);
    return found;
}

static struct sockaddr inet(uint32_t a)
{
    struct sockaddr s;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = a};
    memset(&s, 0, sizeof s);
    memcpy(&s, &in, sizeof in);
    return s;
}

/* rtnetlink for IPv6 (decision 1312): the ioctls cannot skip duplicate address detection (IFA_F_NODAD), so the
 * address and the default route go over netlink. musl ships no kernel headers: the few stable ABI structures and
 * constants it needs are spelled here. */
struct nl_hdr {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};
struct nl_ifaddr {
    uint8_t family, prefixlen, flags, scope;
    uint32_t index;
};
struct nl_route {
    uint8_t family, dst_len, src_len, tos, table, protocol, scope, type;
    uint32_t flags;
};
struct nl_attr {
    uint16_t len, type;
};
struct nl_sockaddr {
    sa_family_t family;
    unsigned short pad;
    uint32_t pid, groups;
};
enum {
    NL_ROUTE = 0, NL_ERROR = 2, NL_REQUEST = 1, NL_ACK = 4, NL_REPLACE = 0x100, NL_CREATE = 0x400,
    NL_NEWADDR = 20, NL_DELADDR = 21, NL_NEWROUTE = 24, NL_IFA_ADDRESS = 1, NL_IFA_FLAGS = 8, NL_IFA_F_NODAD = 0x02,
    NL_RTA_OIF = 4, NL_RTA_GATEWAY = 5, NL_TABLE_MAIN = 254, NL_PROTO_BOOT = 3, NL_RTN_UNICAST = 1,
};
#define NL_ALIGN(n) (((n) + 3u) & ~3u)

struct nl_msg {
    struct nl_hdr h;
    unsigned char body[128];
};

static void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t n)
{
    struct nl_attr a = {.len = (uint16_t)(sizeof a + n), .type = type};
    unsigned char *at = (unsigned char *)m + NL_ALIGN(m->h.len);
    memcpy(at, &a, sizeof a);
    memcpy(at + sizeof a, data, n);
    m->h.len = NL_ALIGN(m->h.len) + NL_ALIGN(a.len);
}

/* Sends m and reads the kernel's acknowledgement: 0, or -1 with what failed (an errno in ignore counts as 0). */
static int nl_talk(struct nl_msg *m, int ignore, const char *what, char *err, size_t errlen)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NL_ROUTE);
    if (fd < 0) {
        snprintf(err, errlen, "%s: netlink socket: %s", what, strerror(errno));
        return -1;
    }
    struct nl_sockaddr to = {.family = AF_NETLINK};
    m->h.flags |= NL_REQUEST | NL_ACK;
    m->h.seq = 1;
    union {
        struct nl_hdr h;
        unsigned char b[512];
    } r;
    ssize_t n = -1;
    if (sendto(fd, m, m->h.len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)m->h.len)
        n = recv(fd, &r, sizeof r, 0);
    int e = errno;
    close(fd);
    if (n < (ssize_t)(sizeof r.h + sizeof(int)) || r.h.type != NL_ERROR) {
        snprintf(err, errlen, "%s: netlink: %s", what, n < 0 ? strerror(e) : "no acknowledgement");
        return -1;
    }
    int code;
    memcpy(&code, r.b + sizeof r.h, sizeof code);
    if (code == 0 || -code == ignore)
        return 0;
    snprintf(err, errlen, "%s: %s", what, strerror(-code));
    return -1;
}

/* Adds (RTM_NEWADDR, replacing, no DAD) or deletes an IPv6 address on the interface. */
static int addr6(int op, unsigned index, const uint8_t a[16], unsigned prefix, char *err, size_t errlen)
{
    struct nl_msg m = {.h = {.len = (uint32_t)(sizeof m.h + sizeof(struct nl_ifaddr)), .type = (uint16_t)op}};
    struct nl_ifaddr ifa = {.family = AF_INET6, .prefixlen = (uint8_t)prefix, .flags = NL_IFA_F_NODAD, .index = index};
    memcpy(m.body, &ifa, sizeof ifa);
    m.h.flags = op == NL_NEWADDR ? NL_CREATE | NL_REPLACE : 0;
    nl_put(&m, NL_IFA_ADDRESS, a, 16);
    uint32_t flags = NL_IFA_F_NODAD;
    nl_put(&m, NL_IFA_FLAGS, &flags, sizeof flags);
    const char *what = op == NL_NEWADDR ? "IPv6 address" : "deleting the old IPv6 address";
    return nl_talk(&m, op == NL_DELADDR ? EADDRNOTAVAIL : 0, what, err, errlen);
}

/* The IPv6 default route via gw on the interface, replacing any. */
static int route6(unsigned index, const uint8_t gw[16], char *err, size_t errlen)
{
    struct nl_msg m = {.h = {.len = (uint32_t)(sizeof m.h + sizeof(struct nl_route)), .type = NL_NEWROUTE,
                             .flags = NL_CREATE | NL_REPLACE}};
    struct nl_route rt = {.family = AF_INET6, .table = NL_TABLE_MAIN, .protocol = NL_PROTO_BOOT,
                          .type = NL_RTN_UNICAST};
    memcpy(m.body, &rt, sizeof rt);
    nl_put(&m, NL_RTA_GATEWAY, gw, 16);
    uint32_t oif = index;
    nl_put(&m, NL_RTA_OIF, &oif, sizeof oif);
    return nl_talk(&m, 0, "IPv6 default route via gateway6", err, errlen);
}

/* address6/prefix6 and the default route via gateway6 on the (up) interface name. */
static int configure6(const char *name, const struct net_config *c, char *err, size_t errlen)
{
    unsigned index = if_nametoindex(name);
    if (!index) {
        snprintf(err, errlen, "IPv6 on %s: %s", name, strerror(errno));
        return -1;
    }
    if (addr6(NL_NEWADDR, index, c->addr6, c->prefix6, err, errlen))
        return -1;
    return route6(index, c->gateway6, err, errlen);
}

/* MTU, address/prefix, up, default route via the gateway on the interface name. SIOCSIFADDR replaces the address
 * the interface had (the kernel deletes the old one and its subnet route). */
static int configure(int fd, const char *name, const struct net_config *c, char *err, size_t errlen)
{
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof r.ifr_name, "%s", name);
    r.ifr_mtu = (int)c->mtu;
    int rc = req(fd, SIOCSIFMTU, &r, "SIOCSIFMTU", err, errlen);
    r.ifr_addr = inet(c->addr);
    rc = rc ? rc : req(fd, SIOCSIFADDR, &r, "SIOCSIFADDR", err, errlen);
    r.ifr_netmask = inet(htonl(~0u << (32 - c->prefix)));
    rc = rc ? rc : req(fd, SIOCSIFNETMASK, &r, "SIOCSIFNETMASK", err, errlen);
    rc = rc ? rc : set_up(fd, name, err, errlen);
    if (!rc) {
        struct rtentry rt = {.rt_dst = inet(0), .rt_genmask = inet(0), .rt_gateway = inet(c->gateway),
                             .rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = (char *)name};
        if (ioctl(fd, SIOCADDRT, &rt) && errno != EEXIST) {
            snprintf(err, errlen, "default route via the gateway: %s", strerror(errno));
            rc = -1;
        }
    }
    return rc || !c->has_ipv6 ? rc : configure6(name, c, err, errlen);
}

int net_up(const struct net_config *c, int wait_ms, char *ifname, size_t ifnamelen, char *err, size_t errlen)
{
    int fd = inet_socket(err, errlen);
    if (fd < 0)
        return -1;
    char name[IF_NAMESIZE];
    /* The driver registers the device while its module loads; the wait only covers a slow probe. */
    for (int waited = 0; find_interface(fd, c, name); waited += 20) {
        if (waited >= wait_ms) {
            snprintf(err, errlen, "no network interface %s appeared", c->has_mac ? "with the bootstrap's MAC" : "eth0");
            close(fd);
            return -1;
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    snprintf(ifname, ifnamelen, "%s", name);
    int rc = configure(fd, name, c, err, errlen);
    close(fd);
    return rc;
}

int net_reconfigure(const char *ifname, const struct net_config *old, const struct net_config *c, char *err,
                    size_t errlen)
{
    int fd = inet_socket(err, errlen);
    if (fd < 0)
        return -1;
    /* Going down flushes the routes through the interface; the old default route is deleted first anyway, so that
     * none survives whatever the kernel does on down. It may already be gone: that is no error. */
    struct rtentry rt = {.rt_dst = inet(0), .rt_genmask = inet(0), .rt_gateway = inet(old->gateway),
                         .rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = (char *)ifname};
    int rc = 0;
    if (ioctl(fd, SIOCDELRT, &rt) && errno != ESRCH) {
        snprintf(err, errlen, "deleting the default route via the old gateway: %s", strerror(errno));
        rc = -1;
    }
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof r.ifr_name, "%s", ifname);
    rc = rc ? rc : req(fd, SIOCGIFFLAGS, &r, "SIOCGIFFLAGS", err, errlen);
    r.ifr_flags &= ~IFF_UP;
    rc = rc ? rc : req(fd, SIOCSIFFLAGS, &r, "SIOCSIFFLAGS (down)", err, errlen);
    unsigned index = if_nametoindex(ifname);
    if (!rc && old->has_ipv6 && index) /* going down may keep it (keep_addr_on_down): the new one replaces it */
        rc = addr6(NL_DELADDR, index, old->addr6, old->prefix6, err, errlen);
    if (!rc && c->has_mac) { /* the link is down: drivers without live MAC changes accept it too */
        r.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(r.ifr_hwaddr.sa_data, c->mac, 6);
        rc = req(fd, SIOCSIFHWADDR, &r, "SIOCSIFHWADDR", err, errlen);
    }
    rc = rc ? rc : configure(fd, ifname, c, err, errlen);
    close(fd);
    return rc;
}
