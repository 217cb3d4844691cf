/* Unit tests of the CBOR codec: shortest-form encoding, strict and bounded decoding. */
#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "check.h"
#include "json.h"

static int decodes(const char *hex)
{
    struct buf b = {0};
    hex_decode(hex, &b);
    struct cbor_doc d;
    char err[200];
    int rc = cbor_decode(b.p, b.len, &d, err, sizeof err);
    if (!rc)
        cbor_free(&d);
    buf_free(&b);
    return rc == 0;
}

/* The hex of a 0 inside `depth` one-element arrays (depth at most 40). */
static const char *nested(int depth)
{
    static char hex[2 * 40 + 3];
    hex[0] = 0;
    for (int i = 0; i < depth; i++)
        strcat(hex, "81");
    strcat(hex, "00");
    return hex;
}

static int encodes(void (*fn)(struct buf *), const char *hex)
{
    struct buf b = {0}, want = {0};
    fn(&b);
    hex_decode(hex, &want);
    int ok = b.len == want.len && !memcmp(b.p, want.p, b.len);
    buf_free(&b);
    buf_free(&want);
    return ok;
}

static void e_0(struct buf *b) { cb_uint(b, 0); }
static void e_23(struct buf *b) { cb_uint(b, 23); }
static void e_24(struct buf *b) { cb_uint(b, 24); }
static void e_256(struct buf *b) { cb_uint(b, 256); }
static void e_65536(struct buf *b) { cb_uint(b, 65536); }
static void e_2p32(struct buf *b) { cb_uint(b, 1ULL << 32); }
static void e_m1(struct buf *b) { cb_int(b, -1); }
static void e_m1000(struct buf *b) { cb_int(b, -1000); }
static void e_min(struct buf *b) { cb_int(b, INT64_MIN); }
static void e_text(struct buf *b) { cb_str(b, "a"); }
static void e_lossy(struct buf *b) { cb_str(b, "a\xff"); }
static void e_map(struct buf *b) { cb_map(b, 1); cb_str(b, "k"); cb_bool(b, 1); }

int main(void)
{
    /* encoder: shortest heads, RFC 8949 appendix A values */
    CHECK(encodes(e_0, "00"), "0");
    CHECK(encodes(e_23, "17"), "23");
    CHECK(encodes(e_24, "1818"), "24");
    CHECK(encodes(e_256, "190100"), "256");
    CHECK(encodes(e_65536, "1a00010000"), "65536");
    CHECK(encodes(e_2p32, "1b0000000100000000"), "2^32");
    CHECK(encodes(e_m1, "20"), "-1");
    CHECK(encodes(e_m1000, "3903e7"), "-1000");
    CHECK(encodes(e_min, "3b7fffffffffffffff"), "INT64_MIN");
    CHECK(encodes(e_text, "6161"), "text");
    CHECK(encodes(e_lossy, "6461efbfbd"), "invalid UTF-8 replaced by U+FFFD");
    CHECK(encodes(e_map, "a1616bf5"), "map");

    /* decoder accepts well-formed input in every form a peer may use */
    CHECK(decodes("a0"), "empty map");
    CHECK(decodes("bf616b01ff"), "indefinite map");
    CHECK(decodes("9f0102ff"), "indefinite array");
    CHECK(decodes("5f42010243030405ff"), "indefinite byte string");
    CHECK(decodes("7f6161626263ff"), "indefinite text string");
    CHECK(decodes("c11a514b67b0"), "tagged item");
    CHECK(decodes("f93c00"), "half float");
    CHECK(decodes("fb3ff199999999999a"), "double");
    CHECK(decodes("1b00000000000000ff"), "non-shortest integer");
    CHECK(decodes("f6"), "null");

    /* ... and rejects everything malformed, without reading past the input */
    CHECK(!decodes(""), "empty input");
    CHECK(!decodes("18"), "truncated head");
    CHECK(!decodes("62 61"), "bad hex is not decoded");
    CHECK(!decodes("6261"), "string longer than input");
    CHECK(!decodes("5b0000000100000000"), "huge byte string claim");
    CHECK(!decodes("9bffffffffffffffff"), "huge array claim");
    CHECK(!decodes("bbffffffffffffffff"), "huge map claim");
    CHECK(!decodes("a1"), "map missing pairs");
    CHECK(!decodes("bf6161ff"), "indefinite map with a key but no value");
    CHECK(!decodes("9f01"), "unterminated indefinite array");
    CHECK(!decodes("5f4101"), "unterminated indefinite string");
    CHECK(!decodes("5f6161ff"), "text chunk inside byte string");
    CHECK(!decodes("62c328"), "invalid UTF-8");
    CHECK(!decodes("63eda080"), "UTF-16 surrogate in UTF-8");
    CHECK(!decodes("62c081"), "overlong UTF-8");
    CHECK(!decodes("0000"), "trailing bytes");
    CHECK(!decodes("ff"), "stray break");
    CHECK(!decodes("1c"), "reserved additional info");
    CHECK(!decodes("1f"), "indefinite integer");
    CHECK(!decodes("f800"), "simple value in two-byte form below 32");

    /* depth and item bounds */
    CHECK(!decodes(nested(40)), "nesting deeper than 32");
    CHECK(decodes(nested(30)), "nesting of 30");
    {
        /* 300000 one-byte items exceed the item bound */
        struct buf b = {0};
        cb_array(&b, 300000);
        for (int i = 0; i < 300000; i++)
            cb_uint(&b, 1);
        struct cbor_doc d;
        char err[200];
        CHECK(cbor_decode(b.p, b.len, &d, err, sizeof err) != 0, "too many items");
        buf_free(&b);
    }

    /* decoded values and lookup */
    {
        struct buf b = {0};
        hex_decode("a3617601617482616101617a7f6161626263ff", &b);
        struct cbor_doc d;
        char err[200];
        CHECK(cbor_decode(b.p, b.len, &d, err, sizeof err) == 0, "decode map");
        const struct cv *v = cv_get(d.root, "v"), *t = cv_get(d.root, "t"), *z = cv_get(d.root, "z");
        CHECK(v && v->type == CV_UINT && v->u == 1, "v = 1");
        CHECK(t && t->type == CV_ARRAY && t->n == 2 && t->kids[1].type == CV_UINT, "t = [a, 1]");
        CHECK(z && z->type == CV_TEXT && z->n == 3 && !strcmp(z->s, "abc"), "indefinite text concatenated");
        CHECK(cv_get(d.root, "missing") == NULL && cv_is_absent(NULL), "absent key");
        cbor_free(&d);
        buf_free(&b);
    }
    printf("test_cbor: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
