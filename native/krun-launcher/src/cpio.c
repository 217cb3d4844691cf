#include "cpio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(struct cpio *c, const void *p, size_t n)
{
    if (c->failed)
        return;
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n)
            cap *= 2;
        unsigned char *d = realloc(c->data, cap);
        if (!d) {
            free(c->data);
            c->data = NULL;
            c->failed = 1;
            return;
        }
        c->data = d;
        c->cap = cap;
    }
    memcpy(c->data + c->len, p, n);
    c->len += n;
}

static void pad4(struct cpio *c)
{
    static const unsigned char zeros[3];
    append(c, zeros, (4 - c->len % 4) % 4);
}

void cpio_file(struct cpio *c, const char *name, unsigned mode, const unsigned char *data, size_t len)
{
    char header[111];
    size_t namesize = strlen(name) + 1;
    /* magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
    snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++c->ino, mode,
             0u, 0u, (mode & 040000) ? 2u : 1u, 0u, (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)namesize, 0u);
    append(c, header, 110);
    append(c, name, namesize);
    pad4(c);
    if (len)
        append(c, data, len);
    pad4(c);
}

void cpio_finish(struct cpio *c)
{
    cpio_file(c, "TRAILER!!!", 0, NULL, 0);
}
