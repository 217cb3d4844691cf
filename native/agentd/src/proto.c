#include "proto.h"

#include <stdio.h>
#include <string.h>

static const char *const NAMES[MT_COUNT] = {
    "core.ready", "core.init.resolved", "core.init.ack", "core.shutdown",
    "core.relay.client.disconnected", "core.clock.sync", "core.ping", "core.pong", "core.touch",
    "core.touched", "core.error", "core.exec.request", "core.exec.started", "core.exec.stdin",
    "core.exec.stdin.error", "core.exec.stdout", "core.exec.stderr", "core.exec.exited",
    "core.exec.failed", "core.exec.resize", "core.exec.signal", "core.fs.request",
    "core.fs.response", "core.fs.data", "core.tcp.connect", "core.tcp.connected", "core.tcp.data",
    "core.tcp.eof", "core.tcp.close", "core.tcp.closed", "core.tcp.failed", "core.bootstrap",
    "msb.flow.pause", "msb.flow.resume", "msb.identity.apply", "msb.identity.applied",
};

const char *mt_name(enum mt t)
{
    return t >= 0 && t < MT_COUNT ? NAMES[t] : "unknown";
}

enum mt mt_parse(const char *name, size_t n)
{
    for (int i = 0; i < MT_COUNT; i++)
        if (strlen(NAMES[i]) == n && memcmp(NAMES[i], name, n) == 0)
            return (enum mt)i;
    return MT_UNKNOWN;
}

uint8_t mt_flags(enum mt t)
{
    switch (t) {
    case MT_PONG: case MT_TOUCHED: case MT_ERROR: case MT_EXEC_EXITED: case MT_EXEC_FAILED:
    case MT_FS_RESPONSE: case MT_TCP_CLOSED: case MT_TCP_FAILED: case MT_IDENTITY_APPLIED:
        return FLAG_TERMINAL;
    case MT_EXEC_REQUEST: case MT_FS_REQUEST: case MT_TCP_CONNECT:
        return FLAG_SESSION_START;
    case MT_SHUTDOWN:
        return FLAG_SHUTDOWN;
    default:
        return 0;
    }
}

void frame_append(struct buf *out, enum mt t, uint32_t id, const struct buf *p)
{
    struct buf body = {0};
    cb_map(&body, 3);
    cb_str(&body, "v");
    cb_uint(&body, PROTO_VERSION);
    cb_str(&body, "t");
    cb_str(&body, mt_name(t));
    cb_str(&body, "p");
    static const uint8_t empty_map = 0xa0; /* payload-less structs encode as {} */
    cb_bytes(&body, p ? p->p : &empty_map, p ? p->len : 1);
    /* Payloads are bounded by construction (chunk sizes, listing limits); this guards the rule. */
    if (body.len + FRAME_HEADER > MAX_FRAME) {
        fprintf(stderr, "agentd: dropping oversized %s frame (%zu bytes)\n", mt_name(t), body.len);
        buf_free(&body);
        return;
    }
    uint32_t len = (uint32_t)(body.len + FRAME_HEADER);
    uint8_t h[9] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
                    (uint8_t)(id >> 24),  (uint8_t)(id >> 16),  (uint8_t)(id >> 8),  (uint8_t)id,
                    mt_flags(t)};
    buf_put(out, h, 9);
    buf_put(out, body.p, body.len);
    buf_free(&body);
}

size_t frame_data_prefix(uint8_t out[FRAME_PREFIX_MAX], enum mt t, uint32_t id, size_t n)
{
    _Static_assert(FRAME_DATA_MAX + FRAME_PREFIX_MAX <= MAX_FRAME, "stream chunks fit in a frame");
    uint8_t pre[16], body[64];
    /* payload {data: bytes(n)} without its n bytes */
    size_t pl = 0;
    pre[pl++] = 0xa1;
    pl += cb_head(pre + pl, 3, 4);
    memcpy(pre + pl, "data", 4);
    pl += 4;
    pl += cb_head(pre + pl, 2, n);
    /* body {v: 7, t: name, p: bytes(payload)} up to the payload */
    const char *name = mt_name(t);
    size_t nl = strlen(name), bl = 0;
    body[bl++] = 0xa3;
    body[bl++] = 0x61;
    body[bl++] = 'v';
    bl += cb_head(body + bl, 0, PROTO_VERSION);
    body[bl++] = 0x61;
    body[bl++] = 't';
    bl += cb_head(body + bl, 3, nl);
    memcpy(body + bl, name, nl);
    bl += nl;
    body[bl++] = 0x61;
    body[bl++] = 'p';
    bl += cb_head(body + bl, 2, pl + n);
    uint32_t len = (uint32_t)(FRAME_HEADER + bl + pl + n);
    uint8_t h[9] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
                    (uint8_t)(id >> 24),  (uint8_t)(id >> 16),  (uint8_t)(id >> 8),  (uint8_t)id,
                    mt_flags(t)};
    memcpy(out, h, 9);
    memcpy(out + 9, body, bl);
    memcpy(out + 9 + bl, pre, pl);
    return 9 + bl + pl;
}

int msg_decode(const uint8_t *body, size_t n, struct msg *m, const char **kind, char *err, size_t errlen)
{
    m->type = MT_UNKNOWN;
    m->tname = NULL;
    m->payload.root = NULL;
    m->payload.arena = NULL;
    if (cbor_decode(body, n, &m->body, err, errlen)) {
        *kind = "malformed_message";
        return -1;
    }
    const struct cv *r = m->body.root;
    if (r->type != CV_MAP) {
        *kind = "malformed_message";
        snprintf(err, errlen, "message body must be a CBOR map {v, t, p}");
        return -1;
    }
    const struct cv *v = cv_get(r, "v"), *t = cv_get(r, "t"), *p = cv_get(r, "p");
    if (!v || v->type != CV_UINT || !t || t->type != CV_TEXT || !p ||
        p->type != CV_BYTES) {
        *kind = "malformed_message";
        snprintf(err, errlen, "message body needs v (unsigned), t (text) and p (bytes)");
        return -1;
    }
    m->v = v->u;
    m->tname = t->s;
    m->type = mt_parse(t->s, t->n);
    if (m->type == MT_UNKNOWN) {
        *kind = "unsupported_message_type";
        snprintf(err, errlen, "field t: unknown message type '%.100s'", t->s);
        return -1;
    }
    /* Flags are a fixed function of the type, compared exactly and before v or the payload are looked
     * at, as microsandbox's agent does; unlike it, the answer does not depend on v (decision 0430). */
    if (m->flags != mt_flags(m->type)) {
        *kind = "invalid_flags";
        snprintf(err, errlen, "invalid flags for %s: got %u, expected %u", mt_name(m->type), m->flags,
                 mt_flags(m->type));
        return -1;
    }
    if (m->v < 1 || m->v > 255) { /* v is a u8; older generations are served */
        *kind = "unsupported_protocol_generation";
        snprintf(err, errlen, "field v: protocol generation %llu is not supported (this agent speaks %d)",
                 (unsigned long long)m->v, PROTO_VERSION);
        return -1;
    }
    const uint8_t *pp = (const uint8_t *)p->s;
    size_t pn = p->n;
    if (pn > 0 && cbor_decode(pp, pn, &m->payload, err, errlen)) {
        *kind = "invalid_payload";
        return -1;
    }
    if (payload_validate(m->type, m->payload.root, err, errlen)) {
        *kind = "invalid_payload";
        return -1;
    }
    return 0;
}

void msg_free(struct msg *m)
{
    cbor_free(&m->body);
    cbor_free(&m->payload);
}

int f_fail(struct fields *f, const char *key, const char *rule)
{
    snprintf(f->err, sizeof f->err, "field %s: %s", key, rule);
    return -1;
}

static const struct cv *field(struct fields *f, const char *key, int required, int *rc)
{
    const struct cv *v = f->map && f->map->type == CV_MAP ? cv_get(f->map, key) : NULL;
    if (cv_is_absent(v)) {
        *rc = required ? f_fail(f, key, "is required") : 1;
        return NULL;
    }
    *rc = 0;
    return v;
}

int f_text(struct fields *f, const char *key, int required, size_t max, const char **out)
{
    int rc;
    const struct cv *v = field(f, key, required, &rc);
    if (!v)
        return rc;
    if (v->type != CV_TEXT)
        return f_fail(f, key, "must be a text string");
    if (v->n > max) {
        char rule[64];
        snprintf(rule, sizeof rule, "must be at most %zu bytes", max);
        return f_fail(f, key, rule);
    }
    if (strlen(v->s) != v->n)
        return f_fail(f, key, "must not contain NUL characters");
    *out = v->s;
    return 0;
}

int f_bytes(struct fields *f, const char *key, int required, const uint8_t **out, size_t *n)
{
    int rc;
    const struct cv *v = field(f, key, required, &rc);
    if (!v)
        return rc;
    if (v->type != CV_BYTES)
        return f_fail(f, key, "must be a byte string");
    *out = (const uint8_t *)v->s;
    *n = v->n;
    return 0;
}

int f_u64(struct fields *f, const char *key, int required, uint64_t max, uint64_t *out)
{
    int rc;
    const struct cv *v = field(f, key, required, &rc);
    if (!v)
        return rc;
    if (v->type != CV_UINT)
        return f_fail(f, key, "must be an unsigned integer");
    if (v->u > max) {
        char rule[64];
        snprintf(rule, sizeof rule, "must be at most %llu", (unsigned long long)max);
        return f_fail(f, key, rule);
    }
    *out = v->u;
    return 0;
}

int f_i64(struct fields *f, const char *key, int required, int64_t *out)
{
    int rc;
    const struct cv *v = field(f, key, required, &rc);
    if (!v)
        return rc;
    if (v->type == CV_UINT && v->u <= (uint64_t)INT64_MAX)
        *out = (int64_t)v->u;
    else if (v->type == CV_NEG && v->u <= (uint64_t)INT64_MAX)
        *out = -1 - (int64_t)v->u;
    else
        return f_fail(f, key, "must be a 64-bit signed integer");
    return 0;
}

int f_bool(struct fields *f, const char *key, int required, int *out)
{
    int rc;
    const struct cv *v = field(f, key, required, &rc);
    if (!v)
        return rc;
    if (v->type != CV_BOOL)
        return f_fail(f, key, "must be a boolean");
    *out = (int)v->u;
    return 0;
}

void p_core_error(struct buf *p, const char *kind, const char *message, const char *offending)
{
    cb_map(p, offending ? 3 : 2);
    cb_str(p, "kind");
    cb_str(p, kind);
    cb_str(p, "message");
    cb_str(p, message);
    if (offending) {
        cb_str(p, "offending_type");
        cb_str(p, offending);
    }
}

/* Payload schemas: the top-level fields of each message's struct (microsandbox protocol, gen 7).
 * Nested structures (fs ops, rlimits, attrs) are checked by the handlers that use them. */
enum fk { K_U8, K_U16, K_U32, K_U64, K_I32, K_TEXT, K_BYTES, K_BOOL, K_ARRAY, K_MAP, K_ANY };
struct fdef {
    const char *name;
    enum fk kind;
    int required;
};
#define F(n, k, r) {n, k, r}
static const struct fdef S_READY[] = {F("boot_time_ns", K_U64, 1), F("init_time_ns", K_U64, 1), F("ready_time_ns", K_U64, 1), F("agent_version", K_TEXT, 0), F("flow_control", K_BOOL, 0), {0}};
static const struct fdef S_INIT_RESOLVED[] = {F("default_user", K_MAP, 1), {0}};
static const struct fdef S_RELAY[] = {F("id_start", K_U32, 1), F("id_end_exclusive", K_U32, 1), {0}};
static const struct fdef S_CLOCK[] = {F("unix_time_nanos", K_U64, 1), {0}};
static const struct fdef S_TOUCHED[] = {F("activity_seq", K_U64, 1), {0}};
static const struct fdef S_ERROR[] = {F("kind", K_TEXT, 1), F("message", K_TEXT, 1), F("offending_type", K_TEXT, 0), {0}};
static const struct fdef S_EXEC_REQUEST[] = {F("cmd", K_TEXT, 1), F("args", K_ARRAY, 0), F("env", K_ARRAY, 0), F("cwd", K_TEXT, 0), F("user", K_TEXT, 0), F("tty", K_BOOL, 0), F("rows", K_U16, 0), F("cols", K_U16, 0), F("rlimits", K_ARRAY, 0), {0}};
static const struct fdef S_EXEC_STARTED[] = {F("pid", K_U32, 1), {0}};
static const struct fdef S_DATA[] = {F("data", K_BYTES, 1), {0}};
static const struct fdef S_STDIN_ERROR[] = {F("errno", K_I32, 0), F("errno_name", K_TEXT, 0), F("message", K_TEXT, 1), {0}};
static const struct fdef S_EXITED[] = {F("code", K_I32, 1), F("signal", K_U8, 0), {0}};
static const struct fdef S_FAILED[] = {F("kind", K_TEXT, 1), F("errno", K_I32, 0), F("errno_name", K_TEXT, 0), F("message", K_TEXT, 1), F("stage", K_TEXT, 0), {0}};
static const struct fdef S_RESIZE[] = {F("rows", K_U16, 1), F("cols", K_U16, 1), {0}};
static const struct fdef S_SIGNAL[] = {F("signal", K_I32, 1), {0}};
static const struct fdef S_FS_REQUEST[] = {F("op", K_MAP, 1), {0}};
static const struct fdef S_FS_RESPONSE[] = {F("ok", K_BOOL, 1), F("error", K_TEXT, 0), F("data", K_ANY, 0), {0}};
static const struct fdef S_TCP_CONNECT[] = {F("host", K_TEXT, 1), F("port", K_U16, 1), {0}};
static const struct fdef S_TCP_FAILED[] = {F("error", K_TEXT, 1), {0}};
/* the bootstrap's fields, seed's length and every bound are checked by identity.c before anything is applied */
static const struct fdef S_IDENTITY_APPLY[] = {F("bootstrap", K_MAP, 1), F("seed", K_BYTES, 0), F("unix_time_nanos", K_U64, 0), {0}};
static const struct fdef S_EMPTY[] = {{0}};
#undef F

static const struct fdef *schema(enum mt t)
{
    switch (t) {
    case MT_READY: return S_READY;
    case MT_INIT_RESOLVED: return S_INIT_RESOLVED;
    case MT_RELAY_CLIENT_DISCONNECTED: return S_RELAY;
    case MT_CLOCK_SYNC: return S_CLOCK;
    case MT_TOUCHED: return S_TOUCHED;
    case MT_ERROR: return S_ERROR;
    case MT_EXEC_REQUEST: return S_EXEC_REQUEST;
    case MT_EXEC_STARTED: return S_EXEC_STARTED;
    case MT_EXEC_STDIN: case MT_EXEC_STDOUT: case MT_EXEC_STDERR: case MT_FS_DATA: case MT_TCP_DATA: return S_DATA;
    case MT_EXEC_STDIN_ERROR: return S_STDIN_ERROR;
    case MT_EXEC_EXITED: return S_EXITED;
    case MT_EXEC_FAILED: return S_FAILED;
    case MT_EXEC_RESIZE: return S_RESIZE;
    case MT_EXEC_SIGNAL: return S_SIGNAL;
    case MT_FS_REQUEST: return S_FS_REQUEST;
    case MT_FS_RESPONSE: return S_FS_RESPONSE;
    case MT_TCP_CONNECT: return S_TCP_CONNECT;
    case MT_TCP_FAILED: return S_TCP_FAILED;
    case MT_IDENTITY_APPLY: return S_IDENTITY_APPLY;
    case MT_BOOTSTRAP: return NULL; /* any map: bootstrap reaches us through the initramfs */
    default: return S_EMPTY;
    }
}

int payload_validate(enum mt t, const struct cv *p, char *err, size_t errlen)
{
    const struct fdef *s = schema(t);
    if (!p || p->type == CV_NULL) {
        /* an empty or null payload is fine only when nothing is required */
        for (const struct fdef *d = s; d && d->name; d++)
            if (d->required) {
                snprintf(err, errlen, "field %s: is required", d->name);
                return -1;
            }
        return 0;
    }
    if (p->type != CV_MAP) {
        snprintf(err, errlen, "payload of %s must be a CBOR map", mt_name(t));
        return -1;
    }
    for (const struct fdef *d = s; d && d->name; d++) {
        const struct cv *v = cv_get(p, d->name);
        if (cv_is_absent(v)) {
            if (d->required) {
                snprintf(err, errlen, "field %s: is required", d->name);
                return -1;
            }
            continue;
        }
        const char *rule = NULL;
        switch (d->kind) {
        case K_U8: if (v->type != CV_UINT || v->u > 0xff) rule = "must be an unsigned 8-bit integer"; break;
        case K_U16: if (v->type != CV_UINT || v->u > 0xffff) rule = "must be an unsigned 16-bit integer"; break;
        case K_U32: if (v->type != CV_UINT || v->u > 0xffffffffu) rule = "must be an unsigned 32-bit integer"; break;
        case K_U64: if (v->type != CV_UINT) rule = "must be an unsigned integer"; break;
        case K_I32:
            if (!((v->type == CV_UINT && v->u <= 0x7fffffffu) || (v->type == CV_NEG && v->u <= 0x7fffffffu)))
                rule = "must be a signed 32-bit integer";
            break;
        case K_TEXT: if (v->type != CV_TEXT) rule = "must be a text string"; break;
        case K_BYTES: if (v->type != CV_BYTES) rule = "must be a byte string"; break;
        case K_BOOL: if (v->type != CV_BOOL) rule = "must be a boolean"; break;
        case K_ARRAY: if (v->type != CV_ARRAY) rule = "must be an array"; break;
        case K_MAP: if (v->type != CV_MAP) rule = "must be a map"; break;
        case K_ANY: break;
        }
        if (rule) {
            snprintf(err, errlen, "field %s: %s", d->name, rule);
            return -1;
        }
    }
    return 0;
}

int frame_check(const uint8_t *p, size_t n, uint32_t *len)
{
    if (n < 4)
        return FRAME_INCOMPLETE;
    *len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (*len > MAX_FRAME)
        return FRAME_TOO_LARGE;
    if (*len < FRAME_HEADER)
        return FRAME_TOO_SHORT;
    return n - 4 < *len ? FRAME_INCOMPLETE : FRAME_OK;
}
