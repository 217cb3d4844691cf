/* The guest bootstrap (decisions 0203, 0240): where agentd finds it and the bounds it must respect. */
#ifndef AGENTD_BOOTSTRAP_H
#define AGENTD_BOOTSTRAP_H

#include <stddef.h>

#include "cbor.h"

/* The host appends a small cpio with this file to the VM's initramfs: nothing secret on a command line. */
#define BOOTSTRAP_FILE "/msb/bootstrap.cbor"
/* Still read from the kernel command line when the file is absent (test harnesses, non-secret settings). */
#define BOOTSTRAP_ARG "msb.bootstrap="
#define BOOTSTRAP_MAX (1024 * 1024)        /* CBOR bytes; the host sends at most this much too */
#define BOOTSTRAP_ENV_MAX 4096             /* default_env entries */
#define BOOTSTRAP_ENV_ENTRY (128 * 1024)   /* KEY=VALUE plus its NUL: the kernel's MAX_ARG_STRLEN */

/* Reads and decodes the bootstrap from file, else from the msb.bootstrap= word of cmdline (may be NULL).
 * Returns 0 with a CBOR map in doc, 1 when there is none, -1 with the reason in err. *source names where
 * it came from. */
int bootstrap_load(const char *file, const char *cmdline, struct cbor_doc *doc, const char **source, char *err,
                   size_t errlen);

/* Checks default_env entry i: a map with text key and value, key non-empty without '=' or NUL, the entry
 * within BOOTSTRAP_ENV_ENTRY. Returns 0, or -1 with a message naming the entry and the rule. */
int bootstrap_env_entry(const struct cv *entry, size_t i, const char **key, const char **value, char *err,
                        size_t errlen);

#endif
