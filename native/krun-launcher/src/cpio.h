/* A newc ("070701") cpio archive built in memory: what the kernel unpacks as an initramfs. */
#ifndef KRUN_LAUNCHER_CPIO_H
#define KRUN_LAUNCHER_CPIO_H

#include <stddef.h>

struct cpio {
    unsigned char *data; /* NULL after an allocation failed; every later call is then a no-op */
    size_t len;
    size_t cap;
    unsigned ino;
    int failed;
};

/* Appends an entry; mode carries the type bits (0100000 file, 040000 directory). */
void cpio_file(struct cpio *c, const char *name, unsigned mode, const unsigned char *data, size_t len);

/* Appends the TRAILER!!! entry. */
void cpio_finish(struct cpio *c);

#endif
