#include "cbor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("agentd: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) {
        fputs("agentd: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

void buf_reserve(struct buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        fputs("agentd: out of memory\n", stderr);
        abort();
    }
    b->p = p;
    b->cap = cap;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- encoder ---- */

size_t cb_head(uint8_t h[9], uint8_t major, uint64_t v)
{
    size_t n;
    major <<= 5;
    if (v < 24) {
        h[0] = major | (uint8_t)v;
        n = 1;
    } else if (v <= 0xff) {
        h[0] = major | 24;
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        h[0] = major | 25;
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xffffffffu) {
        h[0] = major | 26;
        for (int i = 0; i < 4; i++)
            h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = major | 27;
        for (int i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    return n;
}

static void head(struct buf *b, uint8_t major, uint64_t v)
{
    uint8_t h[9];
    buf_put(b, h, cb_head(h, major, v));
}

void cb_uint(struct buf *b, uint64_t v) { head(b, 0, v); }
void cb_int(struct buf *b, int64_t v)
{
    if (v >= 0)
        head(b, 0, (uint64_t)v);
    else
        head(b, 1, (uint64_t)(-(v + 1)));
}
void cb_bytes(struct buf *b, const void *p, size_t n) { head(b, 2, n); buf_put(b, p, n); }
void cb_text(struct buf *b, const char *s, size_t n) { head(b, 3, n); buf_put(b, s, n); }
void cb_array(struct buf *b, size_t n) { head(b, 4, n); }
void cb_map(struct buf *b, size_t n) { head(b, 5, n); }
void cb_bool(struct buf *b, int v) { uint8_t c = v ? 0xf5 : 0xf4; buf_put(b, &c, 1); }
void cb_null(struct buf *b) { uint8_t c = 0xf6; buf_put(b, &c, 1); }
void cb_double(struct buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    uint8_t h[9] = {0xfb};
    for (int i = 0; i < 8; i++)
        h[1 + i] = (uint8_t)(u >> (56 - 8 * i));
    buf_put(b, h, 9);
}

/* ---- decoder ---- */

struct dec {
    const uint8_t *p;
    size_t n, pos;
    size_t items, bytes; /* counted in the scan pass */
    char *err;
    size_t errlen;
    /* build pass */
    struct cv *nodes;
    size_t next_node;
    char *strs;
    size_t next_str;
};

static int fail(struct dec *d, const char *what)
{
    snprintf(d->err, d->errlen, "cbor: %s at byte %zu", what, d->pos);
    return -1;
}

/* Reads an item head. Sets *indef for additional info 31. */
static int rd_head(struct dec *d, uint8_t *major, uint8_t *info, uint64_t *val, int *indef)
{
    if (d->pos >= d->n)
        return fail(d, "truncated item");
    uint8_t ib = d->p[d->pos++];
    *major = ib >> 5;
    *info = ib & 31;
    *indef = 0;
    *val = 0;
    size_t len;
    if (*info < 24) {
        *val = *info;
        return 0;
    }
    switch (*info) {
    case 24: len = 1; break;
    case 25: len = 2; break;
    case 26: len = 4; break;
    case 27: len = 8; break;
    case 31:
        if (*major == 0 || *major == 1 || *major == 6)
            return fail(d, "indefinite length not allowed for this major type");
        *indef = 1;
        return 0;
    default:
        return fail(d, "reserved additional information");
    }
    if (d->n - d->pos < len)
        return fail(d, "truncated item head");
    for (size_t i = 0; i < len; i++)
        *val = (*val << 8) | d->p[d->pos++];
    return 0;
}

static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence starting at s[0], or 0 when invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    size_t k = s[0] < 0x80 ? 0 : (s[0] & 0xe0) == 0xc0 ? 1 : (s[0] & 0xf0) == 0xe0 ? 2 : (s[0] & 0xf8) == 0xf0 ? 3 : 9;
    if (k == 9 || k >= n)
        return k == 0 ? 1 : 0;
    return utf8_ok(s, k + 1) ? k + 1 : 0;
}

/* Text from the file system or the C library may not be UTF-8: replace bad bytes with U+FFFD. */
void cb_str(struct buf *b, const char *str)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t n = strlen(str);
    if (utf8_ok(s, n)) {
        cb_text(b, str, n);
        return;
    }
    struct buf t = {0};
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k) {
            buf_put(&t, s + i, k);
            i += k;
        } else {
            buf_put(&t, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    cb_text(b, (const char *)t.p, t.len);
    buf_free(&t);
}

static int is_break(struct dec *d)
{
    return d->pos < d->n && d->p[d->pos] == 0xff;
}

/* Validates one item and counts nodes and string bytes. */
static int scan(struct dec *d, int depth)
{
    if (depth > CBOR_MAX_DEPTH)
        return fail(d, "nesting too deep");
    if (++d->items > CBOR_MAX_ITEMS)
        return fail(d, "too many items");
    uint8_t major, info;
    uint64_t val;
    int indef;
    if (rd_head(d, &major, &info, &val, &indef))
        return -1;
    switch (major) {
    case 0:
    case 1:
        return 0;
    case 2:
    case 3:
        if (!indef) {
            if (val > d->n - d->pos)
                return fail(d, "string longer than input");
            if (major == 3 && !utf8_ok(d->p + d->pos, (size_t)val))
                return fail(d, "invalid UTF-8 in text string");
            d->pos += (size_t)val;
            d->bytes += (size_t)val + 1;
            return 0;
        }
        for (;;) {
            if (d->pos >= d->n)
                return fail(d, "unterminated indefinite string");
            if (is_break(d)) {
                d->pos++;
                d->bytes += 1;
                return 0;
            }
            uint8_t m2, i2;
            uint64_t v2;
            int ind2;
            if (rd_head(d, &m2, &i2, &v2, &ind2))
                return -1;
            if (m2 != major || ind2)
                return fail(d, "bad chunk in indefinite string");
            if (v2 > d->n - d->pos)
                return fail(d, "string longer than input");
            if (major == 3 && !utf8_ok(d->p + d->pos, (size_t)v2))
                return fail(d, "invalid UTF-8 in text string");
            d->pos += (size_t)v2;
            d->bytes += (size_t)v2;
        }
    case 4:
    case 5: {
        size_t per = major == 5 ? 2 : 1;
        if (!indef) {
            /* every item takes at least one byte: bounds the count before looping */
            if (val > (d->n - d->pos) / per)
                return fail(d, "container longer than input");
            for (uint64_t i = 0; i < val * per; i++)
                if (scan(d, depth + 1))
                    return -1;
            return 0;
        }
        for (size_t i = 0;; i++) {
            if (d->pos >= d->n)
                return fail(d, "unterminated indefinite container");
            if (is_break(d)) {
                if (per == 2 && (i & 1))
                    return fail(d, "map with a key but no value");
                d->pos++;
                return 0;
            }
            if (scan(d, depth + 1))
                return -1;
        }
    }
    case 6:
        /* tags carry no meaning for this protocol: decode the tagged item */
        d->items--;
        return scan(d, depth + 1);
    default: /* 7 */
        if (indef)
            return fail(d, "unexpected break");
        if (info == 24 && val < 32)
            return fail(d, "invalid simple value encoding");
        return 0;
    }
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v;
    if (e == 0)
        v = m * (1.0 / (1 << 24));
    else if (e != 31) {
        v = (m + 1024) * 1.0;
        int ex = e - 25;
        while (ex > 0) { v *= 2; ex--; }
        while (ex < 0) { v /= 2; ex++; }
    } else
        v = m == 0 ? (double)INFINITY : (double)NAN;
    return (h & 0x8000) ? -v : v;
}

/* Counts the items of an indefinite container starting at d->pos (after its head). */
static size_t count_indef(struct dec *d)
{
    struct dec t = *d;
    size_t n = 0;
    t.items = 0;
    while (!is_break(&t)) {
        scan(&t, 0); /* already validated */
        n++;
    }
    return n;
}

static char *take_str(struct dec *d, size_t n)
{
    char *s = d->strs + d->next_str;
    d->next_str += n;
    return s;
}

static void build(struct dec *d, struct cv *out)
{
    uint8_t major, info;
    uint64_t val;
    int indef;
    rd_head(d, &major, &info, &val, &indef);
    memset(out, 0, sizeof *out);
    switch (major) {
    case 0:
        out->type = CV_UINT;
        out->u = val;
        return;
    case 1:
        out->type = CV_NEG;
        out->u = val;
        return;
    case 2:
    case 3:
        out->type = major == 2 ? CV_BYTES : CV_TEXT;
        if (!indef) {
            out->s = take_str(d, (size_t)val + 1);
            memcpy(out->s, d->p + d->pos, (size_t)val);
            out->s[val] = 0;
            out->n = (size_t)val;
            d->pos += (size_t)val;
            return;
        }
        out->s = d->strs + d->next_str;
        while (!is_break(d)) {
            uint8_t m2, i2;
            uint64_t v2;
            int ind2;
            rd_head(d, &m2, &i2, &v2, &ind2);
            memcpy(take_str(d, (size_t)v2), d->p + d->pos, (size_t)v2);
            d->pos += (size_t)v2;
            out->n += (size_t)v2;
        }
        d->pos++;
        *take_str(d, 1) = 0;
        return;
    case 4:
    case 5: {
        size_t per = major == 5 ? 2 : 1;
        size_t count = indef ? count_indef(d) : (size_t)val * per;
        out->type = major == 5 ? CV_MAP : CV_ARRAY;
        out->n = count / per;
        out->kids = d->nodes + d->next_node;
        d->next_node += count;
        for (size_t i = 0; i < count; i++)
            build(d, &out->kids[i]);
        if (indef)
            d->pos++;
        return;
    }
    case 6:
        build(d, out);
        return;
    default:
        if (info == 25 || info == 26 || info == 27) {
            out->type = CV_FLOAT;
            if (info == 25)
                out->f = half_to_double((uint16_t)val);
            else if (info == 26) {
                uint32_t u = (uint32_t)val;
                float f;
                memcpy(&f, &u, 4);
                out->f = f;
            } else
                memcpy(&out->f, &val, 8);
        } else if (val == 20 || val == 21) {
            out->type = CV_BOOL;
            out->u = val == 21;
        } else if (val == 22) {
            out->type = CV_NULL;
        } else if (val == 23) {
            out->type = CV_UNDEF;
        } else {
            out->type = CV_SIMPLE;
            out->u = val;
        }
        return;
    }
}

int cbor_decode(const uint8_t *p, size_t n, struct cbor_doc *doc, char *err, size_t errlen)
{
    struct dec d = {.p = p, .n = n, .err = err, .errlen = errlen};
    doc->root = NULL;
    doc->arena = NULL;
    if (scan(&d, 0))
        return -1;
    if (d.pos != n)
        return fail(&d, "trailing bytes after item");
    size_t nodes = d.items * sizeof(struct cv);
    char *arena = xmalloc(nodes + d.bytes);
    d.nodes = (struct cv *)(void *)arena;
    d.strs = arena + nodes;
    d.pos = 0;
    d.next_node = 1;
    build(&d, &d.nodes[0]);
    doc->root = d.nodes;
    doc->arena = arena;
    return 0;
}

void cbor_free(struct cbor_doc *doc)
{
    free(doc->arena);
    doc->arena = NULL;
    doc->root = NULL;
}

const struct cv *cv_get(const struct cv *map, const char *key)
{
    if (!map || map->type != CV_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const struct cv *k = &map->kids[2 * i];
        if (k->type == CV_TEXT && k->n == kl && memcmp(k->s, key, kl) == 0)
            return &map->kids[2 * i + 1];
    }
    return NULL;
}

int cv_is_absent(const struct cv *v)
{
    return !v || v->type == CV_NULL || v->type == CV_UNDEF;
}
