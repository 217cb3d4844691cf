#include "vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int vectors_load(const char *dir, struct vector **out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/vectors.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, cap = 16;
    struct vector *v = calloc((size_t)cap, sizeof *v);
    static char line[1 << 20];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *fields[5] = {0};
        int k = 0;
        for (char *p = line, *t; k < 5 && p; k++) {
            t = strchr(p, '\t');
            if (t)
                *t = 0;
            fields[k] = p;
            p = t ? t + 1 : NULL;
        }
        if (k < 4)
            continue;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        struct vector *x = &v[n++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", fields[0]);
        snprintf(x->expect, sizeof x->expect, "%s", fields[1]);
        snprintf(x->mode, sizeof x->mode, "%s", fields[2]);
        if (hex_decode(fields[3], &x->frame))
            fprintf(stderr, "vector %s: bad hex\n", x->name);
        x->decoded = fields[4] && strcmp(fields[4], "-") ? xstrdup(fields[4]) : NULL;
    }
    fclose(f);
    *out = v;
    return n;
}

void vectors_free(struct vector *v, int n)
{
    for (int i = 0; i < n; i++) {
        buf_free(&v[i].frame);
        free(v[i].decoded);
    }
    free(v);
}

int cv_equal(const struct cv *a, const struct cv *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case CV_UINT: case CV_NEG: case CV_BOOL: case CV_SIMPLE: return a->u == b->u;
    case CV_FLOAT: return a->f == b->f;
    case CV_BYTES: case CV_TEXT: return a->n == b->n && !memcmp(a->s, b->s, a->n);
    case CV_ARRAY:
        if (a->n != b->n)
            return 0;
        for (size_t i = 0; i < a->n; i++)
            if (!cv_equal(&a->kids[i], &b->kids[i]))
                return 0;
        return 1;
    case CV_MAP:
        if (a->n != b->n)
            return 0;
        for (size_t i = 0; i < a->n; i++) {
            const struct cv *k = &a->kids[2 * i];
            if (k->type != CV_TEXT || !cv_equal(&a->kids[2 * i + 1], cv_get(b, k->s)))
                return 0;
        }
        return 1;
    default: return 1;
    }
}

void cv_encode(struct buf *b, const struct cv *v)
{
    switch (v->type) {
    case CV_UINT: cb_uint(b, v->u); break;
    case CV_NEG: cb_int(b, -1 - (int64_t)v->u); break;
    case CV_BYTES: cb_bytes(b, v->s, v->n); break;
    case CV_TEXT: cb_text(b, v->s, v->n); break;
    case CV_ARRAY:
        cb_array(b, v->n);
        for (size_t i = 0; i < v->n; i++)
            cv_encode(b, &v->kids[i]);
        break;
    case CV_MAP:
        cb_map(b, v->n);
        for (size_t i = 0; i < 2 * v->n; i++)
            cv_encode(b, &v->kids[i]);
        break;
    case CV_BOOL: cb_bool(b, (int)v->u); break;
    case CV_FLOAT: cb_double(b, v->f); break;
    default: cb_null(b); break;
    }
}
