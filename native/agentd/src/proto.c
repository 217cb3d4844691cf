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
    case MT_FS_RESPONSE: case MT_TCP_CLOSED: case MT_TCP_FAILED:
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
        (p->type != CV_BYTES && p->type != CV_ARRAY)) {
        *kind = "malformed_message";
        snprintf(err, errlen, "message body needs v (unsigned), t (text) and p (bytes)");
        return -1;
    }
    m->v = v->u;
    m->tname = t->s;
    m->type = mt_parse(t->s, t->n);
    if (m->v < 1 || m->v > 255) {
        *kind = "unsupported_protocol_generation";
        snprintf(err, errlen, "field v: protocol generation %llu is not supported (this agent speaks %d)",
                 (unsigned long long)m->v, PROTO_VERSION);
        return -1;
    }
    if (m->type == MT_UNKNOWN) {
        *kind = "unsupported_message_type";
        snprintf(err, errlen, "field t: unknown message type '%.100s'", t->s);
        return -1;
    }
    /* serde_bytes also accepts an array of small integers; normalise to bytes */
    struct buf tmp = {0};
    const uint8_t *pp = (const uint8_t *)p->s;
    size_t pn = p->n;
    if (p->type == CV_ARRAY) {
        for (size_t i = 0; i < p->n; i++) {
            if (p->kids[i].type != CV_UINT || p->kids[i].u > 255) {
                buf_free(&tmp);
                *kind = "malformed_message";
                snprintf(err, errlen, "field p: array elements must be bytes 0..255");
                return -1;
            }
            uint8_t c = (uint8_t)p->kids[i].u;
            buf_put(&tmp, &c, 1);
        }
        pp = tmp.p;
        pn = tmp.len;
    }
    if (pn > 0 && cbor_decode(pp, pn, &m->payload, err, errlen)) {
        buf_free(&tmp);
        *kind = "invalid_payload";
        return -1;
    }
    buf_free(&tmp);
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
