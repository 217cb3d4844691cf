#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
    const char *s;
    char *err;
    size_t errlen;
};

static int jfail(struct jp *j, const char *what)
{
    snprintf(j->err, j->errlen, "json: %s near '%.20s'", what, j->s);
    return -1;
}

static void ws(struct jp *j)
{
    while (*j->s == ' ' || *j->s == '\n' || *j->s == '\t' || *j->s == '\r')
        j->s++;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int hex_decode(const char *hex, struct buf *out)
{
    size_t n = strlen(hex);
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        uint8_t c = (uint8_t)(hi << 4 | lo);
        buf_put(out, &c, 1);
    }
    return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (uint8_t)(0xc0 | cp >> 6); u[1] = (uint8_t)(0x80 | (cp & 0x3f)); n = 2; }
    else if (cp < 0x10000) { u[0] = (uint8_t)(0xe0 | cp >> 12); u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); u[2] = (uint8_t)(0x80 | (cp & 0x3f)); n = 3; }
    else { u[0] = (uint8_t)(0xf0 | cp >> 18); u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f)); u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (uint8_t)(0x80 | (cp & 0x3f)); n = 4; }
    buf_put(b, u, n);
}

static int str(struct jp *j, struct buf *b)
{
    if (*j->s != '"')
        return jfail(j, "expected string");
    j->s++;
    while (*j->s != '"') {
        if (!*j->s)
            return jfail(j, "unterminated string");
        if (*j->s != '\\') {
            buf_put(b, j->s++, 1);
            continue;
        }
        j->s++;
        char c = *j->s++;
        switch (c) {
        case '"': case '\\': case '/': buf_put(b, &c, 1); break;
        case 'b': buf_put(b, "\b", 1); break;
        case 'f': buf_put(b, "\f", 1); break;
        case 'n': buf_put(b, "\n", 1); break;
        case 'r': buf_put(b, "\r", 1); break;
        case 't': buf_put(b, "\t", 1); break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexval(*j->s++);
                if (h < 0)
                    return jfail(j, "bad \\u escape");
                cp = cp << 4 | (unsigned)h;
            }
            if (cp >= 0xd800 && cp < 0xdc00 && j->s[0] == '\\' && j->s[1] == 'u') {
                unsigned lo = 0;
                j->s += 2;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(*j->s++);
                    if (h < 0)
                        return jfail(j, "bad \\u escape");
                    lo = lo << 4 | (unsigned)h;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(b, cp);
            break;
        }
        default:
            return jfail(j, "bad escape");
        }
    }
    j->s++;
    return 0;
}

static int value(struct jp *j, struct buf *out, int depth);

static int object(struct jp *j, struct buf *out, int depth)
{
    j->s++;
    struct buf items = {0};
    size_t n = 0;
    ws(j);
    if (*j->s == '}') {
        j->s++;
        cb_map(out, 0);
        return 0;
    }
    for (;;) {
        ws(j);
        struct buf key = {0};
        if (str(j, &key))
            goto bad;
        ws(j);
        if (*j->s++ != ':') {
            buf_free(&key);
            jfail(j, "expected ':'");
            goto bad;
        }
        ws(j);
        if (key.len == 6 && !memcmp(key.p, "$bytes", 6) && n == 0) {
            struct buf hex = {0}, raw = {0};
            int rc = str(j, &hex);
            buf_put(&hex, "", 1);
            ws(j);
            if (rc || hex_decode((char *)hex.p, &raw) || *j->s != '}') {
                buf_free(&hex);
                buf_free(&raw);
                buf_free(&key);
                jfail(j, "bad $bytes");
                goto bad;
            }
            j->s++;
            cb_bytes(out, raw.p, raw.len);
            buf_free(&hex);
            buf_free(&raw);
            buf_free(&key);
            buf_free(&items);
            return 0;
        }
        cb_text(&items, (const char *)key.p, key.len);
        buf_free(&key);
        if (value(j, &items, depth + 1))
            goto bad;
        n++;
        ws(j);
        if (*j->s == ',') {
            j->s++;
            continue;
        }
        if (*j->s == '}') {
            j->s++;
            break;
        }
        jfail(j, "expected ',' or '}'");
        goto bad;
    }
    cb_map(out, n);
    buf_put(out, items.p, items.len);
    buf_free(&items);
    return 0;
bad:
    buf_free(&items);
    return -1;
}

static int value(struct jp *j, struct buf *out, int depth)
{
    if (depth > 64)
        return jfail(j, "too deep");
    ws(j);
    char c = *j->s;
    if (c == '{')
        return object(j, out, depth);
    if (c == '[') {
        j->s++;
        struct buf items = {0};
        size_t n = 0;
        ws(j);
        if (*j->s == ']')
            j->s++;
        else
            for (;;) {
                if (value(j, &items, depth + 1)) {
                    buf_free(&items);
                    return -1;
                }
                n++;
                ws(j);
                if (*j->s == ',') {
                    j->s++;
                    continue;
                }
                if (*j->s == ']') {
                    j->s++;
                    break;
                }
                buf_free(&items);
                return jfail(j, "expected ',' or ']'");
            }
        cb_array(out, n);
        buf_put(out, items.p, items.len);
        buf_free(&items);
        return 0;
    }
    if (c == '"') {
        struct buf s = {0};
        if (str(j, &s)) {
            buf_free(&s);
            return -1;
        }
        cb_text(out, s.p ? (const char *)s.p : "", s.len);
        buf_free(&s);
        return 0;
    }
    if (!strncmp(j->s, "true", 4)) { j->s += 4; cb_bool(out, 1); return 0; }
    if (!strncmp(j->s, "false", 5)) { j->s += 5; cb_bool(out, 0); return 0; }
    if (!strncmp(j->s, "null", 4)) { j->s += 4; cb_null(out); return 0; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        int neg = c == '-';
        if (neg)
            j->s++;
        unsigned long long v = 0;
        if (*j->s < '0' || *j->s > '9')
            return jfail(j, "bad number");
        while (*j->s >= '0' && *j->s <= '9') {
            unsigned d = (unsigned)(*j->s++ - '0');
            if (v > (~0ULL - d) / 10)
                return jfail(j, "integer overflow");
            v = v * 10 + d;
        }
        if (*j->s == '.' || *j->s == 'e' || *j->s == 'E')
            return jfail(j, "floats are not used by the protocol");
        if (neg) {
            if (v == 0 || v - 1 > (unsigned long long)INT64_MAX)
                return jfail(j, "bad negative integer");
            cb_int(out, -(long long)(v - 1) - 1);
        } else
            cb_uint(out, v);
        return 0;
    }
    return jfail(j, "unexpected character");
}

int json_to_cbor(const char *json, struct buf *out, char *err, size_t errlen)
{
    struct jp j = {json, err, errlen};
    if (value(&j, out, 0))
        return -1;
    ws(&j);
    if (*j.s)
        return jfail(&j, "trailing characters");
    return 0;
}
