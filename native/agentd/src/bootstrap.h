/* The guest bootstrap (decisions 0203, 0240): where agentd finds it and the bounds it must respect. */
#ifndef AGENTD_BOOTSTRAP_H
#define AGENTD_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

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

/* Checks entry i of the env list named field (default_env, handoff_init.env): a map with text key and value, key
 * non-empty without '=' or NUL, the entry within BOOTSTRAP_ENV_ENTRY. Returns 0, or -1 with a message naming the
 * entry and the rule. */
int bootstrap_env_entry(const char *field, const struct cv *entry, size_t i, const char **key, const char **value,
                        char *err, size_t errlen);

/* user (1 to BOOTSTRAP_USER_MAX bytes) and default_cwd (1 to BOOTSTRAP_CWD_MAX bytes), the defaults of later execs,
 * read from the bootstrap map bs. Returns 0 with each set, or NULL when absent; -1 with a message naming the field. */
#define BOOTSTRAP_USER_MAX 255
#define BOOTSTRAP_CWD_MAX 4096
int bootstrap_exec_defaults(const struct cv *bs, const char **user, const char **cwd, char *err, size_t errlen);

/* The init that takes over PID 1 (decision 0431): handoff_init {cmd, args, env} as microsandbox names it. */
#define HANDOFF_AUTO "auto"     /* cmd: the first executable of HANDOFF_CANDIDATES in the root */
#define HANDOFF_ARGS_MAX 1024   /* arguments after argv[0] */
#define HANDOFF_PATH_MAX 4096
struct handoff {
    const char *cmd;                           /* an absolute path, or HANDOFF_AUTO */
    const char *argv[HANDOFF_ARGS_MAX + 2];    /* argv[0] is left for the resolved cmd; NULL-terminated */
    const struct cv *env;                      /* checked {key, value} entries, or NULL */
};

/* Reads handoff_init from the bootstrap map bs. Returns 0 with h filled, 1 when there is none, -1 with a message
 * naming the field and the rule. */
int bootstrap_handoff(const struct cv *bs, struct handoff *h, char *err, size_t errlen);

/* What agentd mounts in the new root before it serves (decision 1202): mounts [{kind, source, path, fstype, size_mib,
 * readonly, noexec, nosuid, nodev}], parents before children. */
#define BOOTSTRAP_MOUNTS_MAX 64
#define MOUNT_PATH_MAX 1024
enum guest_mount_kind { GUEST_MOUNT_9P, GUEST_MOUNT_DISK, GUEST_MOUNT_TMPFS };
struct guest_mount {
    enum guest_mount_kind kind;
    const char *source;   /* 9p: the host's mount_tag; disk: the virtio-blk serial; tmpfs: NULL */
    const char *path;     /* absolute and normalized, not "/" */
    const char *fstype;   /* disk: ext4 unless given */
    uint64_t size_mib;    /* tmpfs: 0 = the kernel's default */
    unsigned long flags;  /* MS_RDONLY, MS_NOEXEC, MS_NOSUID, MS_NODEV */
};

/* Reads mounts from the bootstrap map bs into out (at most BOOTSTRAP_MOUNTS_MAX). Returns 0 with *n set (0 when
 * there are none), or -1 with a message naming the entry and the rule. */
int bootstrap_mounts(const struct cv *bs, struct guest_mount *out, size_t *n, char *err, size_t errlen);

#endif
