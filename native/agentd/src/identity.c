/* The guest's identity: hostname, network and the /etc files agentd writes for them at boot (decisions 0203, 0260), the
 * default env of execs, and msb.identity.apply (decision 1240), which gives a running guest a new one. A memory snapshot
 * or a warm pool restores one saved VM into several sandboxes; each copy must then stop looking like the others: its own
 * name, address, MAC, environment, random streams and clock. */
#include "agent.h"
#include "bootstrap.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOSTNAME_MAX 64
#define SEED_MIN 32
#define SEED_MAX 512
#define ETC_FILE_MAX (64 * 1024) /* /etc/hosts and resolv.conf as an apply reads them back */
#define HOSTS_TEXT_MAX 8192

/* linux/random.h's ioctls, which musl's headers do not carry: add entropy (credited), and force the CRNG to reseed */
#define RNDADDENTROPY _IOW('R', 0x03, int[2])
#define RNDRESEEDCRNG _IO('R', 0x07)

/* What agentd set last, at boot or by an apply: the next apply changes from it, and replaces in /etc/hosts and
 * resolv.conf exactly the lines agentd wrote there (lines others added stay). */
static struct {
    char host[HOSTNAME_MAX + 1];
    int has_net;
    struct net_config net;
    char ifname[IF_NAMESIZE]; /* empty: no interface was configured */
    char hosts[HOSTS_TEXT_MAX];
    char resolv[1024];
} current;

static void warn(const char *what, const char *arg)
{
    fprintf(stderr, "agentd: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
}

/* Writes path atomically, unless it already holds content: after the first boot the upper disk has it, and
 * every write on the overlay root costs a copy-up. Returns 0, or -1 (logged). */
static int write_file(const char *path, const char *content)
{
    size_t len = strlen(content);
    FILE *old = fopen(path, "re");
    if (old) {
        static char cur[8193];
        size_t n = fread(cur, 1, sizeof cur, old);
        fclose(old);
        if (n == len && !memcmp(cur, content, len))
            return 0;
    }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.msb-tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        warn("write", path);
        return -1;
    }
    fputs(content, f);
    if (fclose(f) || rename(tmp, path)) {
        warn("write", path);
        return -1;
    }
    return 0;
}

/* The /etc/hosts lines for host and, with a network, its hosts entries. */
static size_t hosts_text(const char *host, const struct net_config *net, char *out, size_t n)
{
    size_t l = (size_t)snprintf(out, n, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n",
                                host);
    return net && l < n ? l + net_hosts_lines(net, out + l, n - l) : l;
}

/* The bootstrap's network, when it has one: 1 with eth0 configured (or at least the files' content in c), 0
 * without. lo comes up either way, for services the sandbox runs for itself. A bad map is logged and ignored:
 * the sandbox then runs without a network rather than not at all. */
static int network(const struct cv *bs, struct net_config *c)
{
    char err[200] = "";
    if (net_loopback_up(err, sizeof err))
        fprintf(stderr, "agentd: lo: %s\n", err);
    const struct cv *m = bs ? cv_get(bs, "network") : NULL;
    if (cv_is_absent(m))
        return 0;
    if (net_parse(m, c, err, sizeof err)) {
        fprintf(stderr, "agentd: bootstrap %s: no network\n", err);
        return 0;
    }
    if (net_up(c, 2000, current.ifname, sizeof current.ifname, err, sizeof err)) {
        fprintf(stderr, "agentd: network: %s\n", err);
        current.ifname[0] = 0;
    }
    boot_mark("network up", current.ifname);
    return 1;
}

static const char *text(const struct cv *m, const char *key, size_t max)
{
    struct fields f = {.map = m};
    const char *s = NULL;
    return m && f_text(&f, key, 1, max, &s) == 0 ? s : NULL;
}

void identity_boot(const struct cv *bs)
{
    const char *host = text(bs, "hostname", HOSTNAME_MAX), *alias = text(bs, "host_alias", 253);
    if (!host)
        host = "sandbox";
    snprintf(current.host, sizeof current.host, "%s", host);
    if (sethostname(host, strlen(host)))
        warn("sethostname", host);
    current.has_net = network(bs, &current.net);
    size_t l = hosts_text(host, current.has_net ? &current.net : NULL, current.hosts, sizeof current.hosts);
    const struct cv *dns = bs ? cv_get(bs, "dns") : NULL;
    if (!current.has_net && alias && dns && dns->type == CV_ARRAY && dns->n && dns->kids[0].type == CV_TEXT &&
        dns->kids[0].n < 64)
        snprintf(current.hosts + l, sizeof current.hosts - l, "%s\t%s\n", dns->kids[0].s, alias);
    mkdir("/etc", 0755);
    write_file("/etc/hosts", current.hosts);
    char name[80];
    snprintf(name, sizeof name, "%s\n", host);
    write_file("/etc/hostname", name); /* an init handed PID 1 (0431) sets the hostname from it, as microsandbox's does */
    char *rc = current.resolv;
    if (current.has_net && current.net.nameservers) {
        net_resolv_conf(&current.net, rc, sizeof current.resolv);
        write_file("/etc/resolv.conf", rc);
    } else if (dns && dns->type == CV_ARRAY && dns->n) {
        for (size_t i = 0; i < dns->n && i < 3; i++)
            if (dns->kids[i].type == CV_TEXT && dns->kids[i].n < 64 && strlen(dns->kids[i].s) == dns->kids[i].n) {
                size_t rl = strlen(rc);
                snprintf(rc + rl, sizeof current.resolv - rl, "nameserver %s\n", dns->kids[i].s);
            }
        write_file("/etc/resolv.conf", rc);
    }
}

/* ---- default env ---- */

/* Each key default_env put in agentd's environment and what it held before, so that the next default_env replaces
 * this one instead of adding to it. */
struct env_prior {
    char *key, *value; /* value NULL: the key was unset */
};
static struct env_prior *env_priors;
static size_t env_count, env_cap;

int default_env_set(const char *key, const char *value)
{
    size_t i = 0;
    while (i < env_count && strcmp(env_priors[i].key, key))
        i++;
    if (i == env_count) {
        if (env_count == env_cap) {
            env_cap = env_cap ? 2 * env_cap : 16;
            env_priors = realloc(env_priors, env_cap * sizeof *env_priors);
            if (!env_priors)
                abort();
        }
        const char *prior = getenv(key);
        env_priors[i] = (struct env_prior){xstrdup(key), prior ? xstrdup(prior) : NULL};
        env_count++;
    }
    return setenv(key, value, 1);
}

/* Gives back what the last default_env changed, newest first. */
static void default_env_undo(void)
{
    while (env_count) {
        struct env_prior *p = &env_priors[--env_count];
        if (p->value ? setenv(p->key, p->value, 1) : unsetenv(p->key))
            warn("restoring the environment's", p->key);
        free(p->key);
        free(p->value);
    }
}

/* ---- msb.identity.apply ---- */

/* Everything an apply will do, checked before any of it is done. Pointers go into the message's payload. */
struct plan {
    const char *host;       /* NULL: unchanged */
    const struct cv *env;   /* default_env, each entry checked; NULL: unchanged */
    const char *user, *cwd; /* NULL: unchanged */
    int has_net;
    struct net_config net;
    struct guest_mount mounts[BOOTSTRAP_MOUNTS_MAX];
    size_t nmounts;
    const uint8_t *seed;
    size_t seed_len;
    int has_time;
    uint64_t time_ns;
};

/* Bootstrap fields that only mean something while the guest boots. */
static const char *const BOOT_ONLY[] = {"rlimits", "handoff_init", "block_root", "tmpfs_mounts", "dns", "host_alias",
                                        NULL};

static int refuse(char *err, size_t errlen, const char *prefix, const char *rule)
{
    snprintf(err, errlen, "%s%s", prefix, rule);
    return -1;
}

static int plan_bootstrap(const struct cv *bs, int pid1, struct plan *pl, char *err, size_t errlen)
{
    char why[400];
    for (const char *const *f = BOOT_ONLY; *f; f++)
        if (!cv_is_absent(cv_get(bs, *f))) {
            snprintf(why, sizeof why, "%s cannot change in a running guest", *f);
            return refuse(err, errlen, "bootstrap.", why);
        }
    const struct cv *h = cv_get(bs, "hostname");
    if (!cv_is_absent(h)) {
        /* it becomes an /etc/hosts line: the rule of network.hosts names, and the kernel's 64 bytes */
        if (h->type != CV_TEXT || h->n > HOSTNAME_MAX || !net_name_ok(h->s, h->n))
            return refuse(err, errlen, "bootstrap.",
                          "hostname must be a DNS name of 1 to 64 bytes (letters, digits, '-', '.')");
        pl->host = h->s;
    }
    const struct cv *env = cv_get(bs, "default_env");
    if (!cv_is_absent(env)) {
        if (env->type != CV_ARRAY || env->n > BOOTSTRAP_ENV_MAX)
            return refuse(err, errlen, "bootstrap.", "default_env must be an array of at most 4096 entries");
        for (size_t i = 0; i < env->n; i++) {
            const char *k, *v;
            if (bootstrap_env_entry("default_env", &env->kids[i], i, &k, &v, why, sizeof why))
                return refuse(err, errlen, "bootstrap.", why);
        }
        pl->env = env;
    }
    struct user_info ui;
    char uerr[256];
    if (bootstrap_exec_defaults(bs, &pl->user, &pl->cwd, why, sizeof why))
        return refuse(err, errlen, "bootstrap.", why);
    if (pl->user && user_resolve(pl->user, "", &ui, uerr, sizeof uerr)) {
        snprintf(why, sizeof why, "user must name a user of the guest: %s", uerr);
        return refuse(err, errlen, "bootstrap.", why);
    }
    const struct cv *net = cv_get(bs, "network");
    if (!cv_is_absent(net)) {
        if (net_parse(net, &pl->net, why, sizeof why))
            return refuse(err, errlen, "bootstrap.", why);
        if (pid1 && !current.ifname[0])
            return refuse(err, errlen, "bootstrap.", "network cannot be set in a guest that booted without one");
        pl->has_net = 1;
    }
    if (bootstrap_mounts(bs, pl->mounts, &pl->nmounts, why, sizeof why))
        return refuse(err, errlen, "bootstrap.", why);
    for (size_t i = 0; i < pl->nmounts; i++)
        if (pl->mounts[i].kind != GUEST_MOUNT_TMPFS) {
            snprintf(why, sizeof why, "mounts[%zu] kind must be tmpfs: shares and disks cannot be attached to a"
                                      " running guest", i);
            return refuse(err, errlen, "bootstrap.", why);
        }
    return 0;
}

static int plan_parse(const struct cv *p, int pid1, struct plan *pl, char *err, size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    struct fields f = {.map = p};
    int rc = f_bytes(&f, "seed", 0, &pl->seed, &pl->seed_len);
    if (rc == 0 && (pl->seed_len < SEED_MIN || pl->seed_len > SEED_MAX))
        return refuse(err, errlen, "", "seed must be 32 to 512 bytes");
    if (rc < 0)
        return refuse(err, errlen, "", f.err);
    rc = f_u64(&f, "unix_time_nanos", 0, UINT64_MAX, &pl->time_ns);
    if (rc < 0)
        return refuse(err, errlen, "", f.err);
    pl->has_time = rc == 0;
    /* the payload schema made bootstrap a map */
    return plan_bootstrap(cv_get(p, "bootstrap"), pid1, pl, err, errlen);
}

/* Mixes seed into the kernel's pool, credited as entropy (the host drew it from its own CSPRNG), and makes the CRNG
 * reseed now: a guest restored from a memory image would otherwise go on with the image's CRNG state, the same in
 * every copy, until its next scheduled reseed. */
static int reseed(const uint8_t *seed, size_t n, char *err, size_t errlen)
{
    struct {
        int entropy_count, buf_size;
        uint8_t buf[SEED_MAX];
    } e = {.entropy_count = (int)n * 8, .buf_size = (int)n};
    memcpy(e.buf, seed, n);
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC), rc = -1;
    if (fd < 0)
        snprintf(err, errlen, "seed: /dev/urandom: %s", strerror(errno));
    else if (ioctl(fd, RNDADDENTROPY, &e))
        snprintf(err, errlen, "seed: RNDADDENTROPY: %s", strerror(errno));
    else if (ioctl(fd, RNDRESEEDCRNG))
        snprintf(err, errlen, "seed: RNDRESEEDCRNG: %s", strerror(errno));
    else
        rc = 0;
    if (fd >= 0)
        close(fd);
    explicit_bzero(&e, sizeof e); /* the seed should not linger on the stack */
    return rc;
}

/* Whether text has the line of n bytes (not counting its newline) among its lines. */
static int has_line(const char *text, const char *line, size_t n)
{
    for (const char *t = text; *t;) {
        size_t tl = strcspn(t, "\n");
        if (tl == n && !strncmp(t, line, n))
            return 1;
        t += tl + (t[tl] == '\n');
    }
    return 0;
}

/* Rewrites path: the lines agentd wrote before (old) give way to fresh ones (fresh) at the top, and every other line
 * stays after them. Returns 0, or -1 with why in err. */
static int replace_lines(const char *path, const char *old, const char *fresh, char *err, size_t errlen)
{
    static char cur[ETC_FILE_MAX + 1], out[ETC_FILE_MAX + HOSTS_TEXT_MAX + 1];
    size_t n = 0;
    FILE *f = fopen(path, "re");
    if (f) {
        n = fread(cur, 1, sizeof cur, f);
        fclose(f);
    }
    if (n > ETC_FILE_MAX) {
        snprintf(err, errlen, "%s is larger than %d bytes", path, ETC_FILE_MAX);
        return -1;
    }
    cur[n] = 0;
    size_t len = (size_t)snprintf(out, sizeof out, "%s", fresh);
    for (const char *line = cur; *line;) {
        size_t text = strcspn(line, "\n"), ll = text + (line[text] == '\n');
        if (!has_line(old, line, text) && len + ll < sizeof out) {
            memcpy(out + len, line, ll);
            out[len += ll] = 0;
        }
        line += ll;
    }
    if (write_file(path, out)) {
        snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Hostname, /etc/hostname, and the lines of /etc/hosts and resolv.conf agentd wrote, for the new name and network. */
static int apply_names(const struct plan *pl, char *err, size_t errlen)
{
    const char *host = pl->host ? pl->host : current.host;
    if (pl->host && sethostname(host, strlen(host))) {
        snprintf(err, errlen, "sethostname: %s", strerror(errno));
        return -1;
    }
    snprintf(current.host, sizeof current.host, "%s", host);
    char name[HOSTNAME_MAX + 2], hosts[HOSTS_TEXT_MAX], resolv[sizeof current.resolv];
    snprintf(name, sizeof name, "%s\n", host);
    hosts_text(host, pl->has_net ? &pl->net : current.has_net ? &current.net : NULL, hosts, sizeof hosts);
    if (write_file("/etc/hostname", name)) {
        snprintf(err, errlen, "writing /etc/hostname: %s", strerror(errno));
        return -1;
    }
    if (replace_lines("/etc/hosts", current.hosts, hosts, err, errlen))
        return -1;
    snprintf(current.hosts, sizeof current.hosts, "%s", hosts);
    if (pl->has_net) {
        net_resolv_conf(&pl->net, resolv, sizeof resolv);
        if (replace_lines("/etc/resolv.conf", current.resolv, resolv, err, errlen))
            return -1;
        snprintf(current.resolv, sizeof current.resolv, "%s", resolv);
    }
    return 0;
}

/* The exec defaults: env, user, cwd. Copies, since the message goes away. */
static void apply_exec_defaults(struct agent *a, const struct plan *pl)
{
    static char *user, *cwd;
    if (pl->env) {
        default_env_undo();
        for (size_t i = 0; i < pl->env->n; i++) {
            const struct cv *e = &pl->env->kids[i];
            if (default_env_set(cv_get(e, "key")->s, cv_get(e, "value")->s))
                warn("setenv", cv_get(e, "key")->s);
        }
    }
    if (pl->user) {
        free(user);
        a->cfg->default_user = user = xstrdup(pl->user);
    }
    if (pl->cwd) {
        free(cwd);
        a->cfg->default_cwd = cwd = xstrdup(pl->cwd);
    }
}

/* In this order; a step that fails ends the apply, and the steps before it stay applied. Only PID 1 owns the guest's
 * mounts, network, names, clock and entropy: a host-process agent (tests) applies the exec defaults only. */
static int apply(struct agent *a, const struct plan *pl, char *err, size_t errlen)
{
    char why[400];
    int pid1 = a->cfg->pid1;
    for (size_t i = 0; pid1 && i < pl->nmounts; i++)
        if (guest_mount(&pl->mounts[i], why, sizeof why)) {
            snprintf(err, errlen, "bootstrap.mounts[%zu] %s", i, why);
            return -1;
        }
    if (pid1 && pl->has_net) {
        if (net_reconfigure(current.ifname, &current.net, &pl->net, why, sizeof why)) {
            snprintf(err, errlen, "bootstrap.network: %s", why);
            return -1;
        }
        current.net = pl->net;
    }
    if (pid1 && (pl->host || pl->has_net) && apply_names(pl, err, errlen))
        return -1;
    if (pl->has_time && clock_step(a, pl->time_ns)) {
        snprintf(err, errlen, "unix_time_nanos: clock_settime: %s", strerror(errno));
        return -1;
    }
    if (pid1 && pl->seed && reseed(pl->seed, pl->seed_len, err, errlen))
        return -1;
    apply_exec_defaults(a, pl);
    return 0;
}

void identity_apply(struct agent *a, struct msg *m)
{
    static struct plan pl; /* a few KiB of mounts: not on the stack */
    char err[512];
    if (plan_parse(m->payload.root, a->cfg->pid1, &pl, err, sizeof err)) {
        send_core_error(a, m->id, "invalid_payload", err, m->tname);
        return;
    }
    if (apply(a, &pl, err, sizeof err)) {
        fprintf(stderr, "agentd: identity apply failed: %s\n", err);
        send_core_error(a, m->id, "apply_failed", err, m->tname);
        return;
    }
    send_msg(a, MT_IDENTITY_APPLIED, m->id, NULL);
}
