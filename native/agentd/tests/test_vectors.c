/* Every conformance vector: frames decode to the documented message, canonical messages encode
 * back to the exact bytes, and malformed input is classified as documented. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "proto.h"
#include "vec.h"

static int failures;

static void fail(const char *name, const char *what)
{
    fprintf(stderr, "FAIL %s: %s\n", name, what);
    failures++;
}

static void check_ok(const struct vector *v)
{
    struct buf exp = {0};
    struct cbor_doc doc = {0};
    char err[300];
    if (!v->decoded || json_to_cbor(v->decoded, &exp, err, sizeof err) ||
        cbor_decode(exp.p, exp.len, &doc, err, sizeof err)) {
        fail(v->name, "cannot read the decoded JSON");
        buf_free(&exp);
        return;
    }
    const struct cv *e = doc.root;
    const struct cv *eid = cv_get(e, "id"), *efl = cv_get(e, "flags"), *ev = cv_get(e, "v"), *et = cv_get(e, "t"),
                    *ep = cv_get(e, "p");
    uint32_t len;
    if (frame_check(v->frame.p, v->frame.len, &len) != FRAME_OK || len + 4 != v->frame.len) {
        fail(v->name, "frame boundary");
        goto out;
    }
    const uint8_t *f = v->frame.p + 4;
    struct msg m = {.id = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3], .flags = f[4]};
    const char *kind;
    if (msg_decode(f + FRAME_HEADER, len - FRAME_HEADER, &m, &kind, err, sizeof err)) {
        char msg[400];
        snprintf(msg, sizeof msg, "decode failed: %s: %s", kind, err);
        fail(v->name, msg);
        msg_free(&m);
        goto out;
    }
    if (m.id != eid->u || m.flags != efl->u || m.v != ev->u || strcmp(m.tname, et->s))
        fail(v->name, "envelope (id, flags, v, t) differs");
    int canonical = !strcmp(v->mode, "canonical");
    if (canonical) {
        if (!cv_equal(m.payload.root, ep))
            fail(v->name, "decoded payload differs");
        /* encode from the decoded form: must give the same bytes */
        struct buf p = {0}, out = {0};
        cv_encode(&p, ep);
        frame_append(&out, mt_parse(et->s, et->n), (uint32_t)eid->u, &p);
        if (out.len != v->frame.len || memcmp(out.p, v->frame.p, out.len))
            fail(v->name, "re-encoding differs from the vector bytes");
        buf_free(&p);
        buf_free(&out);
    } else {
        /* tolerance: every field present on the wire reads as documented; unknown ones are ignored */
        for (size_t i = 0; ep && ep->type == CV_MAP && i < ep->n; i++) {
            const struct cv *w = cv_get(m.payload.root, ep->kids[2 * i].s);
            if (!cv_is_absent(w) && !cv_equal(w, &ep->kids[2 * i + 1]))
                fail(v->name, "tolerated field reads differently");
        }
    }
    msg_free(&m);
out:
    cbor_free(&doc);
    buf_free(&exp);
}

static void check_error(const struct vector *v)
{
    uint32_t len = 0;
    int fc = frame_check(v->frame.p, v->frame.len, &len);
    const char *cls = v->mode;
    if (!strcmp(cls, "frame_too_large") || !strcmp(cls, "frame_too_short") || !strcmp(cls, "truncated")) {
        int want = !strcmp(cls, "frame_too_large") ? FRAME_TOO_LARGE : !strcmp(cls, "frame_too_short") ? FRAME_TOO_SHORT : FRAME_INCOMPLETE;
        if (fc != want)
            fail(v->name, "frame-level error not detected");
        return;
    }
    if (fc != FRAME_OK) {
        fail(v->name, "frame boundary should be intact");
        return;
    }
    const uint8_t *f = v->frame.p + 4;
    struct msg m = {.id = 0, .flags = f[4]};
    const char *kind = "";
    char err[300];
    if (!msg_decode(f + FRAME_HEADER, len - FRAME_HEADER, &m, &kind, err, sizeof err))
        fail(v->name, "decoded although it must fail");
    else if (strcmp(kind, cls)) {
        char msg[400];
        snprintf(msg, sizeof msg, "classified as %s, expected %s (%s)", kind, cls, err);
        fail(v->name, msg);
    }
    msg_free(&m);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../../conformance/agent-protocol";
    struct vector *v;
    int n = vectors_load(dir, &v);
    if (n <= 0) {
        fprintf(stderr, "FAIL: no conformance vectors in %s/vectors.tsv\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(v[i].expect, "ok"))
            check_ok(&v[i]);
        else
            check_error(&v[i]);
    }
    printf("test_vectors: %d vectors, %d failures\n", n, failures);
    vectors_free(v, n);
    return failures ? 1 : 0;
}
