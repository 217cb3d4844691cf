/* Unit tests of the bootstrap reader and its checks (src/bootstrap.c, decision 0240). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "net.h"
#include "check.h"
#include "json.h"

static char dir[] = "/tmp/test_bootstrap.XXXXXX";
static char file[300];

static void write_bytes(const void *p, size_t n)
{
    FILE *f = fopen(file, "wb");
    if (n)
        fwrite(p, 1, n, f);
    fclose(f);
}

static void write_json(const char *json)
{
    struct buf b = {0};
    char err[200];
    if (json_to_cbor(json, &b, err, sizeof err)) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, err);
        exit(2);
    }
    write_bytes(b.p, b.len);
    buf_free(&b);
}

/* Loads from the test file (and cmdline); returns the rc, with err and source for the checks. */
static int load(const char *cmdline, struct cbor_doc *doc, const char **source, char *err)
{
    err[0] = 0;
    return bootstrap_load(file, cmdline, doc, source, err, 200);
}

static void file_wins_and_is_bounded(void)
{
    struct cbor_doc doc;
    const char *source, *v;
    char err[200];
    write_json("{\"hostname\":\"from-file\"}");
    /* the command line carries {"hostname":"cmd"} too: the file wins */
    CHECK(load("quiet msb.bootstrap=oWhob3N0bmFtZWNjbWQ", &doc, &source, err) == 0 && !strcmp(source, file) &&
              (v = cv_get(doc.root, "hostname")->s) && !strcmp(v, "from-file"),
          "the file is read first (%s)", err);
    cbor_free(&doc);

    /* exactly the cap is fine, one byte more is refused before decoding */
    uint8_t *big = calloc(1, BOOTSTRAP_MAX + 1);
    big[0] = 0x5a; /* byte string, 4-byte length */
    uint32_t n = BOOTSTRAP_MAX - 5;
    big[1] = (uint8_t)(n >> 24), big[2] = (uint8_t)(n >> 16), big[3] = (uint8_t)(n >> 8), big[4] = (uint8_t)n;
    write_bytes(big, BOOTSTRAP_MAX);
    CHECK(load(NULL, &doc, &source, err) == -1 && strstr(err, "CBOR map"), "a 1 MiB non-map is read, then refused: %s", err);
    big[0] = 0xa1, big[1] = 0x61, big[2] = 'k', big[3] = 0x5a; /* {"k": <byte string filling the rest>} */
    n = BOOTSTRAP_MAX - 8;
    big[4] = (uint8_t)(n >> 24), big[5] = (uint8_t)(n >> 16), big[6] = (uint8_t)(n >> 8), big[7] = (uint8_t)n;
    write_bytes(big, BOOTSTRAP_MAX);
    CHECK(load(NULL, &doc, &source, err) == 0 && cv_get(doc.root, "k")->n == BOOTSTRAP_MAX - 8,
          "a map of exactly %d bytes is accepted (%s)", BOOTSTRAP_MAX, err);
    cbor_free(&doc);
    write_bytes(big, BOOTSTRAP_MAX + 1);
    CHECK(load(NULL, &doc, &source, err) == -1 && strstr(err, "at most 1048576 bytes") && !doc.root,
          "one byte over the cap is refused: %s", err);
    free(big);

    write_bytes("\xa1\x61", 2);
    CHECK(load(NULL, &doc, &source, err) == -1 && err[0] && !doc.root, "truncated CBOR is refused: %s", err);
    write_bytes("", 0);
    CHECK(load(NULL, &doc, &source, err) == -1 && err[0], "an empty file is refused: %s", err);
    write_json("[1,2]");
    CHECK(load(NULL, &doc, &source, err) == -1 && strstr(err, "CBOR map"), "an array is refused: %s", err);

    unlink(file);
    char target[320];
    snprintf(target, sizeof target, "%s.target", file);
    write_json("{}");
    rename(file, target);
    CHECK(symlink(target, file) == 0 && load(NULL, &doc, &source, err) == -1 && strstr(err, "cannot open"),
          "a symlink is not followed: %s", err);
    unlink(file);
    unlink(target);
    CHECK(mkdir(file, 0700) == 0 && load(NULL, &doc, &source, err) == -1 && strstr(err, "regular file"),
          "a directory is refused: %s", err);
    rmdir(file);
}

static void command_line_is_the_fallback(void)
{
    struct cbor_doc doc;
    const char *source;
    char err[200];
    CHECK(load(NULL, &doc, &source, err) == 1, "no file, no command line: none");
    CHECK(load("console=ttyS0 quiet", &doc, &source, err) == 1, "a command line without it: none");
    CHECK(load("quiet msb.bootstrap=oWhob3N0bmFtZWNjbWQ panic=-1", &doc, &source, err) == 0 &&
              !strcmp(source, "kernel command line") && !strcmp(cv_get(doc.root, "hostname")->s, "cmd"),
          "base64url without padding from the command line (%s)", err);
    cbor_free(&doc);
    CHECK(load("msb.bootstrap=oWhob3N0bmFtZWNjbWQ=", &doc, &source, err) == 0, "padding is accepted (%s)", err);
    cbor_free(&doc);
    CHECK(load("msb.bootstrap=oWhob3N0b*", &doc, &source, err) == -1 && strstr(err, "base64"),
          "a bad character is refused: %s", err);
    CHECK(load("msb.bootstrapx=oWE", &doc, &source, err) == 1, "a different word is not it");
}

static void env_entries_are_checked(void)
{
    struct buf b = {0};
    char err[300], *json = malloc(2 * BOOTSTRAP_ENV_ENTRY + 1024);
    struct cbor_doc doc;
    size_t v = BOOTSTRAP_ENV_ENTRY - 2 - 3; /* "KEY" + '=' + NUL: exactly at the limit */
    int len = snprintf(json, 64, "[{\"key\":\"KEY\",\"value\":\"");
    memset(json + len, 'v', v);
    len += (int)v;
    len += snprintf(json + len, 300, "\"},{\"key\":\"KEY\",\"value\":\"");
    memset(json + len, 'v', v + 1);
    len += (int)v + 1;
    snprintf(json + len, 400, "\"},{\"key\":\"\",\"value\":\"x\"},{\"key\":\"A=B\",\"value\":\"x\"},{\"key\":\"A\"},"
             "{\"key\":\"A\",\"value\":7},[\"A\",\"x\"],{\"key\":\"SECRET_TOKEN\",\"value\":\"\"}]");
    CHECK(json_to_cbor(json, &b, err, sizeof err) == 0 && cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0, "test data");
    const struct cv *env = doc.root;
    const char *k, *val;
    CHECK(bootstrap_env_entry("default_env", &env->kids[0], 0, &k, &val, err, sizeof err) == 0 && strlen(val) == v,
          "KEY=VALUE of 128 KiB minus its NUL is accepted (%s)", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[1], 1, &k, &val, err, sizeof err) == -1 && strstr(err, "default_env[1] KEY=VALUE"),
          "one byte more is refused: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[2], 2, &k, &val, err, sizeof err) == -1 && strstr(err, "non-empty"), "empty key: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[3], 3, &k, &val, err, sizeof err) == -1 && strstr(err, "'='"), "'=' in key: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[4], 4, &k, &val, err, sizeof err) == -1 && strstr(err, "field value: is required"),
          "missing value: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[5], 5, &k, &val, err, sizeof err) == -1 && strstr(err, "field value: must be a text"),
          "value not text: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[6], 6, &k, &val, err, sizeof err) == -1 && strstr(err, "default_env[6] must be a map"),
          "entry not a map: %s", err);
    CHECK(bootstrap_env_entry("default_env", &env->kids[7], 7, &k, &val, err, sizeof err) == 0 && !strcmp(k, "SECRET_TOKEN") && !*val,
          "an empty value is fine (%s)", err);
    cbor_free(&doc);
    buf_free(&b);
    /* NUL inside a key: json.c cannot write one, so by hand {"key":"A\0B","value":"x"} */
    static const uint8_t nul[] = {0xa2, 0x63, 'k', 'e', 'y', 0x63, 'A', 0, 'B', 0x65, 'v', 'a', 'l', 'u', 'e', 0x61, 'x'};
    CHECK(cbor_decode(nul, sizeof nul, &doc, err, sizeof err) == 0 &&
              bootstrap_env_entry("default_env", doc.root, 0, &k, &val, err, sizeof err) == -1 && strstr(err, "NUL"),
          "NUL in a key: %s", err);
    cbor_free(&doc);
    free(json);
}

/* handoff_init {cmd, args, env}: 1 when absent, else checked field by field (decision 0431). */
static void handoff_is_checked(void)
{
    static const struct {
        const char *json, *err; /* err NULL: accepted */
    } cases[] = {
        {"{\"hostname\":\"h\"}", ""},
        {"{\"handoff_init\":null}", ""},
        {"{\"handoff_init\":{\"cmd\":\"auto\"}}", NULL},
        {"{\"handoff_init\":{\"cmd\":\"/lib/systemd/systemd\",\"args\":[\"--unit=multi-user.target\"],"
         "\"env\":[{\"key\":\"container\",\"value\":\"msb\"}]}}", NULL},
        {"{\"handoff_init\":{\"cmd\":\"sbin/init\"}}", "handoff_init cmd must be an absolute path or 'auto'"},
        {"{\"handoff_init\":{\"args\":[]}}", "handoff_init field cmd: is required"},
        {"{\"handoff_init\":\"auto\"}", "handoff_init must be a map"},
        {"{\"handoff_init\":{\"cmd\":\"auto\",\"args\":\"-v\"}}", "handoff_init args must be an array"},
        {"{\"handoff_init\":{\"cmd\":\"auto\",\"args\":[\"a\",7]}}", "handoff_init args[1] must be a text"},
        {"{\"handoff_init\":{\"cmd\":\"auto\",\"env\":[{\"key\":\"A=B\",\"value\":\"x\"}]}}",
         "handoff_init.env[0] key must be non-empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = {0};
        struct cbor_doc doc;
        struct handoff h;
        char err[300] = "";
        CHECK(json_to_cbor(cases[i].json, &b, err, sizeof err) == 0 && cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0,
              "test data %zu", i);
        int rc = bootstrap_handoff(doc.root, &h, err, sizeof err);
        if (!cases[i].err)
            CHECK(rc == 0 && h.cmd[0] && !h.argv[0], "%s accepted (%s)", cases[i].json, err);
        else if (!*cases[i].err)
            CHECK(rc == 1, "%s: no handoff", cases[i].json);
        else
            CHECK(rc == -1 && strstr(err, cases[i].err), "%s refused: %s", cases[i].json, err);
        if (i == 3)
            CHECK(rc == 0 && !strcmp(h.argv[1], "--unit=multi-user.target") && !h.argv[2] && h.env && h.env->n == 1,
                  "args and env read");
        cbor_free(&doc);
        buf_free(&b);
    }
}

/* user and default_cwd, the exec defaults boot and msb.identity.apply read (decision 1240) */
static void exec_defaults_are_checked(void)
{
    static const struct {
        const char *json, *user, *cwd, *err; /* err NULL: accepted */
    } cases[] = {
        {"{}", NULL, NULL, NULL},
        {"{\"user\":\"nobody\",\"default_cwd\":\"/srv\"}", "nobody", "/srv", NULL},
        {"{\"user\":null,\"default_cwd\":\"/srv\"}", NULL, "/srv", NULL},
        {"{\"user\":\"\"}", NULL, NULL, "user must be a text of 1 to 255 bytes without NUL"},
        {"{\"user\":7}", NULL, NULL, "user must be a text"},
        {"{\"default_cwd\":\"\"}", NULL, NULL, "default_cwd must be a text of 1 to 4096 bytes without NUL"},
        {"{\"default_cwd\":[\"/\"]}", NULL, NULL, "default_cwd must be a text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = {0};
        struct cbor_doc doc;
        const char *user, *cwd;
        char err[300] = "";
        CHECK(json_to_cbor(cases[i].json, &b, err, sizeof err) == 0 && cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0,
              "test data %zu", i);
        int rc = bootstrap_exec_defaults(doc.root, &user, &cwd, err, sizeof err);
        if (cases[i].err)
            CHECK(rc == -1 && strstr(err, cases[i].err) && !user && !cwd, "%s refused: %s", cases[i].json, err);
        else
            CHECK(rc == 0 && (cases[i].user ? user && !strcmp(user, cases[i].user) : !user) &&
                      (cases[i].cwd ? cwd && !strcmp(cwd, cases[i].cwd) : !cwd),
                  "%s accepted (%s)", cases[i].json, err);
        cbor_free(&doc);
        buf_free(&b);
    }
}

/* mounts [{kind, source, path, ...}]: none when absent, else every entry checked; flags from the options (1202). */
static void mounts_are_checked(void)
{
    static const struct {
        const char *json, *err; /* err NULL: accepted */
    } cases[] = {
        {"{\"hostname\":\"h\"}", NULL},
        {"{\"mounts\":[{\"kind\":\"9p\",\"source\":\"msb-share0\",\"path\":\"/data\",\"readonly\":true,"
         "\"nodev\":true},{\"kind\":\"disk\",\"source\":\"msb-mnt0\",\"path\":\"/data/img\"},"
         "{\"kind\":\"tmpfs\",\"path\":\"/scratch\",\"size_mib\":64,\"noexec\":true,\"nosuid\":true}]}", NULL},
        {"{\"mounts\":{}}", "mounts must be an array"},
        {"{\"mounts\":[7]}", "mounts[0] must be a map"},
        {"{\"mounts\":[{\"kind\":\"nfs\",\"source\":\"x\",\"path\":\"/a\"}]}", "mounts[0] kind must be"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\"}]}", "mounts[0] field path: is required"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"/\"}]}", "mounts[0] path must be absolute"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"/a/../etc\"}]}", "mounts[0] path must be absolute"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"/a//b\"}]}", "mounts[0] path must be absolute"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"a\"}]}", "mounts[0] path must be absolute"},
        {"{\"mounts\":[{\"kind\":\"9p\",\"path\":\"/a\"}]}", "mounts[0] source must be"},
        {"{\"mounts\":[{\"kind\":\"9p\",\"source\":\"a,b\",\"path\":\"/a\"}]}", "mounts[0] source must be"},
        {"{\"mounts\":[{\"kind\":\"disk\",\"source\":\"d\",\"path\":\"/a\",\"fstype\":\"ext4,x\"}]}",
         "mounts[0] fstype must be"},
        {"{\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"/a\",\"readonly\":1}]}", "mounts[0] field readonly"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = {0};
        struct cbor_doc doc;
        static struct guest_mount m[BOOTSTRAP_MOUNTS_MAX];
        size_t n = 99;
        char err[300] = "";
        CHECK(json_to_cbor(cases[i].json, &b, err, sizeof err) == 0 && cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0,
              "test data %zu", i);
        int rc = bootstrap_mounts(doc.root, m, &n, err, sizeof err);
        if (!cases[i].err)
            CHECK(rc == 0, "%s accepted (%s)", cases[i].json, err);
        else
            CHECK(rc == -1 && strstr(err, cases[i].err), "%s refused: %s", cases[i].json, err);
        if (i == 0)
            CHECK(n == 0, "no mounts");
        if (i == 1)
            CHECK(n == 3 && m[0].kind == GUEST_MOUNT_9P && m[0].flags == (MS_RDONLY | MS_NODEV) &&
                      !strcmp(m[0].source, "msb-share0") && m[1].kind == GUEST_MOUNT_DISK && !strcmp(m[1].fstype, "ext4") &&
                      m[1].flags == 0 && m[2].kind == GUEST_MOUNT_TMPFS && m[2].size_mib == 64 &&
                      m[2].flags == (MS_NOEXEC | MS_NOSUID) && !strcmp(m[2].path, "/scratch"),
                  "entries read");
        cbor_free(&doc);
        buf_free(&b);
    }
}

/* The vector the Java encoder must also produce (conformance/guest-bootstrap/network.hex). */
static void network_vector(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f)
        return;
    char hex[4096];
    size_t n = fread(hex, 1, sizeof hex - 1, f);
    fclose(f);
    hex[n] = 0;
    struct buf b = {0};
    for (size_t i = 0; i + 1 < n && hex[i] != '\n'; i += 2) {
        unsigned v;
        sscanf(hex + i, "%2x", &v);
        uint8_t byte = (uint8_t)v;
        buf_put(&b, &byte, 1);
    }
    struct cbor_doc doc;
    struct net_config c;
    char err[200] = "", text[1024], ip[16];
    CHECK(cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0, "the vector decodes: %s", err);
    CHECK(net_parse(cv_get(doc.root, "network"), &c, err, sizeof err) == 0, "the vector's network is valid: %s", err);
    CHECK(!strcmp(inet_ntop(AF_INET, &c.addr, ip, sizeof ip), "172.16.0.6") && c.prefix == 30 && c.mtu == 1400 &&
              !strcmp(inet_ntop(AF_INET, &c.gateway, ip, sizeof ip), "172.16.0.5"),
          "address, prefix, gateway, mtu");
    CHECK(c.has_mac && !memcmp(c.mac, "\x02\x00\xac\x10\x00\x06", 6), "mac");
    net_resolv_conf(&c, text, sizeof text);
    CHECK(!strcmp(text, "nameserver 172.16.0.5\nnameserver 10.0.0.53\n"), "resolv.conf: %s", text);
    net_hosts_lines(&c, text, sizeof text);
    CHECK(!strcmp(text, "172.16.0.5\thost.microsandbox.internal\n172.16.0.5\tdb.test\n"), "hosts: %s", text);
    net_hosts_lines(&c, text, 20);
    CHECK(strlen(text) == 19, "a short buffer truncates, NUL-terminated: %s", text);
    cbor_free(&doc);
    buf_free(&b);
}

/* The IPv6 vector (conformance/guest-bootstrap/network6.hex, decision 1312): the same network plus address6,
 * prefix6 and gateway6, and the gateway's /etc/hosts line. */
static void network6_vector(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f)
        return;
    char hex[4096];
    size_t n = fread(hex, 1, sizeof hex - 1, f);
    fclose(f);
    hex[n] = 0;
    struct buf b = {0};
    for (size_t i = 0; i + 1 < n && hex[i] != '\n'; i += 2) {
        unsigned v;
        sscanf(hex + i, "%2x", &v);
        uint8_t byte = (uint8_t)v;
        buf_put(&b, &byte, 1);
    }
    struct cbor_doc doc;
    struct net_config c;
    char err[200] = "", text[1024], ip[INET6_ADDRSTRLEN];
    CHECK(cbor_decode(b.p, b.len, &doc, err, sizeof err) == 0, "the v6 vector decodes: %s", err);
    CHECK(net_parse(cv_get(doc.root, "network"), &c, err, sizeof err) == 0, "the v6 vector is valid: %s", err);
    CHECK(c.has_ipv6 && c.prefix6 == 64 && !strcmp(inet_ntop(AF_INET6, c.addr6, ip, sizeof ip), "fd42:6d73:62:1::2"),
          "address6/prefix6");
    CHECK(!strcmp(inet_ntop(AF_INET6, c.gateway6, ip, sizeof ip), "fd42:6d73:62:1::1"), "gateway6");
    CHECK(!strcmp(inet_ntop(AF_INET, &c.addr, ip, sizeof ip), "172.16.0.6") && c.prefix == 30, "IPv4 beside it");
    net_hosts_lines(&c, text, sizeof text);
    CHECK(!strcmp(text, "172.16.0.5\thost.microsandbox.internal\n172.16.0.5\tdb.test\n"
                        "fd42:6d73:62:1::1\thost.microsandbox.internal\n"),
          "hosts: %s", text);
    cbor_free(&doc);
    buf_free(&b);
}

/* Parses {"network": <json>} and returns net_parse's rc with its message in err. */
static int parse_json(const char *json, struct net_config *c, char *err)
{
    char wrapped[8192];
    struct buf b = {0};
    struct cbor_doc doc;
    snprintf(wrapped, sizeof wrapped, "{\"network\":%s}", json);
    if (json_to_cbor(wrapped, &b, err, 200) || cbor_decode(b.p, b.len, &doc, err, 200)) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, err);
        exit(2);
    }
    err[0] = 0;
    int rc = net_parse(cv_get(doc.root, "network"), c, err, 200);
    cbor_free(&doc);
    buf_free(&b);
    return rc;
}

#define NET_OK "\"address\":\"10.0.0.2\",\"prefix\":24,\"gateway\":\"10.0.0.1\""

static void network_fields_are_checked(void)
{
    struct net_config c;
    char err[200];
    CHECK(parse_json("{" NET_OK "}", &c, err) == 0 && c.mtu == 1500 && !c.has_mac && !c.nameservers && !c.hosts,
          "address, prefix and gateway suffice; MTU 1500 (%s)", err);
    static const struct {
        const char *json, *expect;
    } bad[] = {
        {"[]", "network. must be a map"},
        {"{\"prefix\":24,\"gateway\":\"10.0.0.1\"}", "network.address must be an IPv4"},
        {"{\"address\":\"10.0.0.02\",\"prefix\":24,\"gateway\":\"10.0.0.1\"}", "network.address must be an IPv4"},
        {"{\"address\":\"10.0.0.2 \",\"prefix\":24,\"gateway\":\"10.0.0.1\"}", "network.address must be an IPv4"},
        {"{\"address\":7,\"prefix\":24,\"gateway\":\"10.0.0.1\"}", "network.address must be an IPv4"},
        {"{\"address\":\"10.0.0.255\",\"prefix\":24,\"gateway\":\"10.0.0.1\"}", "network.address must not be its subnet's"},
        {"{\"address\":\"10.0.0.2\",\"gateway\":\"10.0.0.1\"}", "network.prefix is required and must be 1 to 30"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":31,\"gateway\":\"10.0.0.1\"}", "network.prefix is required and must be 1 to 30"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":0,\"gateway\":\"10.0.0.1\"}", "network.prefix is required and must be 1 to 30"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":\"24\",\"gateway\":\"10.0.0.1\"}", "network.prefix is required"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":24,\"gateway\":\"10.0.1.1\"}", "network.gateway must be another host address"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":24,\"gateway\":\"10.0.0.2\"}", "network.gateway must be another host address"},
        {"{\"address\":\"10.0.0.2\",\"prefix\":24,\"gateway\":\"10.0.0.0\"}", "network.gateway must be another host address"},
        {"{" NET_OK ",\"mtu\":67}", "network.mtu must be 68 to 65535"},
        {"{" NET_OK ",\"mtu\":65536}", "network.mtu must be 68 to 65535"},
        {"{" NET_OK ",\"mtu\":-1}", "network.mtu must be 68 to 65535"},
        {"{" NET_OK ",\"mac\":\"03:00:00:00:00:01\"}", "network.mac must be a unicast"},
        {"{" NET_OK ",\"mac\":\"02:00:00:00:00:0g\"}", "network.mac must be a unicast"},
        {"{" NET_OK ",\"mac\":\"02-00-00-00-00-01\"}", "network.mac must be a unicast"},
        {"{" NET_OK ",\"mac\":\"00:00:00:00:00:00\"}", "network.mac must be a unicast"},
        {"{" NET_OK ",\"nameservers\":\"10.0.0.1\"}", "network.nameservers must be an array of at most 3"},
        {"{" NET_OK ",\"nameservers\":[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\"]}", "network.nameservers must be an array of at most 3"},
        {"{" NET_OK ",\"nameservers\":[\"1.1.1.1\",\"dns.example\"]}", "network.nameservers[1] must be an IPv4"},
        {"{" NET_OK ",\"hosts\":{}}", "network.hosts must be an array"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"a b\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"evil\\n10.0.0.9\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"x.-y\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"x..y\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"x-\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"x#\",\"address\":\"10.0.0.1\"}]}", "network.hosts[0].name must be a DNS name"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"ok\",\"address\":\"10.0.0.256\"}]}", "network.hosts[0].address must be an IPv4"},
        {"{" NET_OK ",\"hosts\":[{\"name\":\"ok\",\"address\":\"10.0.0.1\"},\"x\"]}", "network.hosts[1].name must be a DNS name"},
        {"{" NET_OK ",\"address6\":\"fd00::2\"}", "network.prefix6 is required with address6"},
        {"{" NET_OK ",\"prefix6\":64,\"gateway6\":\"fd00::1\"}", "network.address6 must be a unicast IPv6"},
        {"{" NET_OK ",\"address6\":\"fe80::2\",\"prefix6\":64,\"gateway6\":\"fe80::1\"}", "network.address6 must be"},
        {"{" NET_OK ",\"address6\":\"ff02::2\",\"prefix6\":64,\"gateway6\":\"fd00::1\"}", "network.address6 must be"},
        {"{" NET_OK ",\"address6\":\"::\",\"prefix6\":64,\"gateway6\":\"fd00::1\"}", "network.address6 must be"},
        {"{" NET_OK ",\"address6\":\"10.0.0.2\",\"prefix6\":64,\"gateway6\":\"fd00::1\"}", "network.address6 must be"},
        {"{" NET_OK ",\"address6\":\"fd00::2%eth0\",\"prefix6\":64,\"gateway6\":\"fd00::1\"}", "network.address6 must be"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":129,\"gateway6\":\"fd00::1\"}", "network.prefix6 is required"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":0,\"gateway6\":\"fd00::1\"}", "network.prefix6 is required"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":64}", "network.gateway6 must be another"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":64,\"gateway6\":\"fd00::2\"}", "network.gateway6 must be another"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":64,\"gateway6\":\"ff02::1\"}", "network.gateway6 must be another"},
        {"{" NET_OK ",\"address6\":\"fd00::2\",\"prefix6\":64,\"gateway6\":7}", "network.gateway6 must be another"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(parse_json(bad[i].json, &c, err) == -1 && strstr(err, bad[i].expect), "%s: got '%s', want '%s'",
              bad[i].json, err, bad[i].expect);

    /* the bounds themselves: 16 hosts, a 63-byte label in a 253-byte name, MTU 68 and 65535, 3 nameservers */
    char json[8192], name[254];
    memset(name, 'a', 253);
    for (int i = 63; i < 253; i += 64)
        name[i] = '.';
    name[253] = 0;
    int len = snprintf(json, sizeof json, "{" NET_OK ",\"mtu\":68,\"nameservers\":[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\"],\"hosts\":[");
    for (int i = 0; i < NET_MAX_HOSTS; i++)
        len += snprintf(json + len, sizeof json - (size_t)len, "%s{\"name\":\"%s\",\"address\":\"10.0.0.1\"}", i ? "," : "", name);
    snprintf(json + len, sizeof json - (size_t)len, "]}");
    CHECK(parse_json(json, &c, err) == 0 && c.hosts == 16 && c.nameservers == 3 && c.mtu == 68 &&
              strlen(c.host[15].name) == 253,
          "the bounds are accepted (%s)", err);
    char hosts[NET_MAX_HOSTS * 300];
    CHECK(net_hosts_lines(&c, hosts, sizeof hosts) == 16 * (8 + 1 + 253 + 1), "all 16 lines fit the buffer agentd uses");
    snprintf(json + len, sizeof json - (size_t)len, ",{\"name\":\"x\",\"address\":\"10.0.0.1\"}]}");
    CHECK(parse_json(json, &c, err) == -1 && strstr(err, "at most 16"), "17 hosts are refused: %s", err);
    memset(name, 'b', 64); /* a 64-byte label */
    name[64] = 0;
    snprintf(json, sizeof json, "{" NET_OK ",\"hosts\":[{\"name\":\"x.%s\",\"address\":\"10.0.0.1\"}]}", name);
    CHECK(parse_json(json, &c, err) == -1 && strstr(err, "hosts[0].name"), "a 64-byte label is refused: %s", err);
    CHECK(parse_json("{" NET_OK ",\"mtu\":65535,\"future\":1}", &c, err) == 0 && c.mtu == 65535,
          "unknown fields are ignored (%s)", err);
    CHECK(parse_json("{" NET_OK "}", &c, err) == 0 && !c.has_ipv6, "no IPv6 without address6 (%s)", err);
    CHECK(parse_json("{" NET_OK ",\"address6\":\"2001:db8:0:0:0:0:0:2\",\"prefix6\":128,\"gateway6\":\"2001:db8::1\"}",
                     &c, err) == 0 && c.has_ipv6 && c.prefix6 == 128 && c.addr6[15] == 2 && c.gateway6[15] == 1,
          "a full-form address and a /128 (%s)", err);
}

int main(int argc, char **argv)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(file, sizeof file, "%s/bootstrap.cbor", dir);
    file_wins_and_is_bounded();
    command_line_is_the_fallback();
    env_entries_are_checked();
    handoff_is_checked();
    exec_defaults_are_checked();
    mounts_are_checked();
    network_vector(argc > 1 ? argv[1] : "../../conformance/guest-bootstrap/network.hex");
    network6_vector(argc > 2 ? argv[2] : "../../conformance/guest-bootstrap/network6.hex");
    network_fields_are_checked();
    unlink(file);
    rmdir(dir);
    printf("test_bootstrap: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
