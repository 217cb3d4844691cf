/* Small, strict, bounded CBOR (RFC 8949) encoder and decoder. */
#ifndef AGENTD_CBOR_H
#define AGENTD_CBOR_H

#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer. Allocation failure aborts: the agent cannot run without memory. */
struct buf {
    uint8_t *p;
    size_t len, cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
void buf_free(struct buf *b);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);

/* Encoder: definite lengths, shortest integer forms (the canonical form serde/ciborium writes). */
/* Writes the shortest head of major type major (0..7) with argument v into h; returns its size. */
size_t cb_head(uint8_t h[9], uint8_t major, uint64_t v);
void cb_uint(struct buf *b, uint64_t v);
void cb_int(struct buf *b, int64_t v);
void cb_bytes(struct buf *b, const void *p, size_t n);
void cb_text(struct buf *b, const char *s, size_t n);
void cb_str(struct buf *b, const char *s);
void cb_array(struct buf *b, size_t n);
void cb_map(struct buf *b, size_t n);
void cb_bool(struct buf *b, int v);
void cb_null(struct buf *b);
void cb_double(struct buf *b, double d);

enum cv_type { CV_UINT, CV_NEG, CV_BYTES, CV_TEXT, CV_ARRAY, CV_MAP, CV_BOOL, CV_NULL, CV_UNDEF, CV_FLOAT, CV_SIMPLE };

/* A decoded item. Strings are copied and NUL-terminated; maps hold 2*n kids (key, value, ...). */
struct cv {
    uint8_t type;
    uint64_t u;       /* UINT value; NEG: value is -1 - u; BOOL: 0/1; SIMPLE: number */
    double f;         /* FLOAT */
    char *s;          /* BYTES/TEXT */
    size_t n;         /* string length, array length, or map pair count */
    struct cv *kids;
};

struct cbor_doc {
    struct cv *root;
    void *arena;
};

#define CBOR_MAX_DEPTH 32
#define CBOR_MAX_ITEMS 262144

/* Decodes exactly one item spanning all of p[0..n). Returns 0, or -1 with a message in err. */
int cbor_decode(const uint8_t *p, size_t n, struct cbor_doc *doc, char *err, size_t errlen);
void cbor_free(struct cbor_doc *doc);

const struct cv *cv_get(const struct cv *map, const char *key);
int cv_is_absent(const struct cv *v); /* missing, null or undefined */

#endif
