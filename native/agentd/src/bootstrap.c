/* Reading and checking the guest bootstrap (decision 0240). The host is trusted more than the guest, but what
 * PID 1 parses is still bounded: a size cap before decoding, CBOR's own limits, a map at the top. */
#include "bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"

/* Base64 (standard or URL-safe alphabet, padding optional) into out; -1 on a bad character. */
static int base64_decode(const char *s, size_t n, struct buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            uint8_t byte = (uint8_t)(acc >> bits);
            buf_put(out, &byte, 1);
        }
    }
    return 0;
}

/* 0 read, 1 absent, -1 error. Only a regular file, not followed through a symlink, and never more than the cap. */
static int read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > BOOTSTRAP_MAX) {
        snprintf(err, errlen, "must be a regular file of at most %d bytes", BOOTSTRAP_MAX);
        close(fd);
        return -1;
    }
    uint8_t chunk[16384];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0 && b->len + (size_t)r <= BOOTSTRAP_MAX)
        buf_put(b, chunk, (size_t)r);
    close(fd);
    if (r != 0) {
        snprintf(err, errlen, r < 0 ? "read failed" : "grew beyond %d bytes while read", BOOTSTRAP_MAX);
        return -1;
    }
    return 0;
}

/* 0 found, 1 absent, -1 error. */
static int from_cmdline(const char *cmdline, struct buf *b, char *err, size_t errlen)
{
    size_t arg = strlen(BOOTSTRAP_ARG);
    for (const char *p = cmdline; p && *p;) {
        size_t n = strcspn(p, " \t\n");
        if (n > arg && !strncmp(p, BOOTSTRAP_ARG, arg)) {
            if ((n - arg) / 4 * 3 > BOOTSTRAP_MAX || base64_decode(p + arg, n - arg, b)) {
                snprintf(err, errlen, "must be base64 of at most %d bytes", BOOTSTRAP_MAX);
                return -1;
            }
            return 0;
        }
        p += n;
        p += strspn(p, " \t\n");
    }
    return 1;
}

int bootstrap_load(const char *file, const char *cmdline, struct cbor_doc *doc, const char **source, char *err,
                   size_t errlen)
{
    struct buf b = {0};
    memset(doc, 0, sizeof *doc);
    *source = file;
    int rc = read_file(file, &b, err, errlen);
    if (rc == 1) {
        *source = "kernel command line";
        rc = from_cmdline(cmdline, &b, err, errlen);
    }
    if (rc == 0 && cbor_decode(b.p, b.len, doc, err, errlen))
        rc = -1;
    else if (rc == 0 && doc->root->type != CV_MAP) {
        snprintf(err, errlen, "must be a CBOR map");
        cbor_free(doc);
        rc = -1;
    }
    buf_free(&b);
    return rc;
}

int bootstrap_env_entry(const char *field, const struct cv *entry, size_t i, const char **key, const char **value,
                        char *err, size_t errlen)
{
    struct fields f = {.map = entry};
    const char *rule = NULL;
    if (entry->type != CV_MAP)
        rule = "must be a map of key and value";
    else if (f_text(&f, "key", 1, BOOTSTRAP_ENV_ENTRY, key) || f_text(&f, "value", 1, BOOTSTRAP_ENV_ENTRY, value))
        rule = f.err;
    else if (!**key || strchr(*key, '='))
        rule = "key must be non-empty and must not contain '='";
    else if (strlen(*key) + strlen(*value) + 2 > BOOTSTRAP_ENV_ENTRY)
        rule = "KEY=VALUE must be shorter than 128 KiB";
    if (!rule)
        return 0;
    snprintf(err, errlen, "%s[%zu] %s", field, i, rule);
    return -1;
}

/* An optional text field of 1 to max bytes: 0 when absent or fine, -1 with the field's rule. */
static int text_field(struct fields *f, const char *key, size_t max, const char **out, char *err, size_t errlen)
{
    if (f_text(f, key, 0, max, out) >= 0 && (!*out || **out))
        return 0;
    snprintf(err, errlen, "%s must be a text of 1 to %zu bytes without NUL", key, max);
    *out = NULL;
    return -1;
}

int bootstrap_exec_defaults(const struct cv *bs, const char **user, const char **cwd, char *err, size_t errlen)
{
    struct fields f = {.map = bs};
    *user = *cwd = NULL;
    if (text_field(&f, "user", BOOTSTRAP_USER_MAX, user, err, errlen) ||
        text_field(&f, "default_cwd", BOOTSTRAP_CWD_MAX, cwd, err, errlen))
        return -1;
    return 0;
}

int bootstrap_handoff(const struct cv *bs, struct handoff *h, char *err, size_t errlen)
{
    const struct cv *m = bs ? cv_get(bs, "handoff_init") : NULL;
    if (cv_is_absent(m))
        return 1;
    memset(h, 0, sizeof *h);
    struct fields f = {.map = m};
    const struct cv *args = cv_get(m, "args");
    const char *rule = NULL;
    if (m->type != CV_MAP)
        rule = "must be a map {cmd, args, env}";
    else if (f_text(&f, "cmd", 1, HANDOFF_PATH_MAX, &h->cmd))
        rule = f.err;
    else if (h->cmd[0] != '/' && strcmp(h->cmd, HANDOFF_AUTO))
        rule = "cmd must be an absolute path or 'auto'";
    else if (!cv_is_absent(args) && (args->type != CV_ARRAY || args->n > HANDOFF_ARGS_MAX))
        rule = "args must be an array of at most 1024 texts";
    if (rule) {
        snprintf(err, errlen, "handoff_init %s", rule);
        return -1;
    }
    for (size_t i = 0; !cv_is_absent(args) && i < args->n; i++) {
        const struct cv *a = &args->kids[i];
        if (a->type != CV_TEXT || strlen(a->s) != a->n) {
            snprintf(err, errlen, "handoff_init args[%zu] must be a text without NUL", i);
            return -1;
        }
        h->argv[i + 1] = a->s;
    }
    const struct cv *env = cv_get(m, "env");
    if (cv_is_absent(env))
        return 0;
    if (env->type != CV_ARRAY || env->n > BOOTSTRAP_ENV_MAX) {
        snprintf(err, errlen, "handoff_init env must be an array of at most %d entries", BOOTSTRAP_ENV_MAX);
        return -1;
    }
    for (size_t i = 0; i < env->n; i++) {
        const char *k, *v;
        if (bootstrap_env_entry("handoff_init.env", &env->kids[i], i, &k, &v, err, errlen))
            return -1;
    }
    h->env = env;
    return 0;
}

/* Letters, digits and the given extra characters only, 1 to max bytes. */
static int token(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr(extra, *c)))
            return 0;
    return 1;
}

/* Absolute, not "/", no empty, "." or ".." component, no trailing slash. */
static int normal_path(const char *p)
{
    if (p[0] != '/' || !p[1] || p[strlen(p) - 1] == '/')
        return 0;
    for (const char *c = p; *c; c++)
        if (*c == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2] || (c[2] == '.' && (c[3] == '/' || !c[3]))))))
            return 0;
    return 1;
}

static int mount_entry(const struct cv *e, struct guest_mount *m, const char **rule, char *buf, size_t buflen)
{
    struct fields f = {.map = e};
    const char *kind = NULL;
    int ro = 0, noexec = 0, nosuid = 0, nodev = 0;
    memset(m, 0, sizeof *m);
    if (e->type != CV_MAP)
        return *rule = "must be a map {kind, source, path, ...}", -1;
    /* the readers return 1 for an absent optional field */
    if (f_text(&f, "kind", 1, 16, &kind) || f_text(&f, "path", 1, MOUNT_PATH_MAX, &m->path) ||
        f_text(&f, "source", 0, 64, &m->source) < 0 || f_text(&f, "fstype", 0, 15, &m->fstype) < 0 ||
        f_u64(&f, "size_mib", 0, 1u << 22, &m->size_mib) < 0 || f_bool(&f, "readonly", 0, &ro) < 0 ||
        f_bool(&f, "noexec", 0, &noexec) < 0 || f_bool(&f, "nosuid", 0, &nosuid) < 0 || f_bool(&f, "nodev", 0, &nodev) < 0) {
        snprintf(buf, buflen, "%s", f.err);
        return *rule = buf, -1;
    }
    if (!strcmp(kind, "9p"))
        m->kind = GUEST_MOUNT_9P;
    else if (!strcmp(kind, "disk"))
        m->kind = GUEST_MOUNT_DISK;
    else if (!strcmp(kind, "tmpfs"))
        m->kind = GUEST_MOUNT_TMPFS;
    else
        return *rule = "kind must be 9p, disk or tmpfs", -1;
    if (!normal_path(m->path))
        return *rule = "path must be absolute and normalized, and not /", -1;
    if (m->kind != GUEST_MOUNT_TMPFS && (!m->source || !token(m->source, m->kind == GUEST_MOUNT_9P ? 31 : 20, "_-")))
        return *rule = "source must be 1 to 31 (disk: 20) letters, digits, '_' or '-'", -1;
    if (m->kind == GUEST_MOUNT_DISK && !m->fstype)
        m->fstype = "ext4";
    if (m->fstype && !token(m->fstype, 15, "_"))
        return *rule = "fstype must be 1 to 15 letters, digits or '_'", -1;
    m->flags = (ro ? MS_RDONLY : 0) | (noexec ? MS_NOEXEC : 0) | (nosuid ? MS_NOSUID : 0) | (nodev ? MS_NODEV : 0);
    return 0;
}

int bootstrap_mounts(const struct cv *bs, struct guest_mount *out, size_t *n, char *err, size_t errlen)
{
    const struct cv *ms = bs ? cv_get(bs, "mounts") : NULL;
    *n = 0;
    if (cv_is_absent(ms))
        return 0;
    if (ms->type != CV_ARRAY || ms->n > BOOTSTRAP_MOUNTS_MAX) {
        snprintf(err, errlen, "mounts must be an array of at most %d entries", BOOTSTRAP_MOUNTS_MAX);
        return -1;
    }
    for (size_t i = 0; i < ms->n; i++) {
        const char *rule = NULL;
        char buf[256];
        if (mount_entry(&ms->kids[i], &out[i], &rule, buf, sizeof buf)) {
            snprintf(err, errlen, "mounts[%zu] %s", i, rule);
            return -1;
        }
    }
    *n = ms->n;
    return 0;
}
