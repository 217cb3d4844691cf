/* Test helper: reading conformance/agent-protocol/vectors.tsv and comparing CBOR items. */
#ifndef AGENTD_TEST_VEC_H
#define AGENTD_TEST_VEC_H
#include "cbor.h"

struct vector {
    char name[128], expect[16], mode[64];
    struct buf frame;  /* the complete frame bytes */
    char *decoded;     /* JSON, or NULL for error vectors */
};

/* Loads every vector; returns the count, or -1 when the file cannot be read. */
int vectors_load(const char *dir, struct vector **out);
void vectors_free(struct vector *v, int n);
/* Structural equality: maps compare by key regardless of order. */
int cv_equal(const struct cv *a, const struct cv *b);
/* Generic re-encoding of a decoded item (map order preserved). */
void cv_encode(struct buf *b, const struct cv *v);
#endif
