/* The agent: one poll loop serving one host connection with bounded per-session queues. */
#ifndef AGENTD_AGENT_H
#define AGENTD_AGENT_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define AGENT_VERSION "0.1.0"
#define MAX_SESSIONS 1024
#define MAX_FS_HANDLES 1024
#define SESSION_QUEUE_MAX (4u * 1024 * 1024) /* host->destination bytes buffered per session */
#define OUT_HIGH_WATER (2u * 1024 * 1024)    /* stop reading session sources above this */
#define OUT_HARD_LIMIT (16u * 1024 * 1024)   /* stop reading the host above this */
#define IO_CHUNK (64 * 1024)
#define FS_CHUNK (256 * 1024)
#define PIPE_SIZE (1024 * 1024) /* exec stdout/stderr pipes, when the kernel allows */
#define EXEC_DRAIN_MS 100       /* how long output of an exited exec is still drained */
#define EXEC_DRAIN_MAX_MS 10000 /* ... at most for output written after the exit (background
                                  * children), not counting time the host paused the session */
#define TCP_CONNECT_TIMEOUT_MS 30000 /* a destination that neither accepts nor refuses */

enum skind { S_EXEC, S_FS_READ, S_FS_WRITE, S_TCP };

struct session {
    struct session *next;
    enum skind kind;
    uint32_t id;
    int done; /* terminal message queued: free at the end of the iteration */
    int paused; /* the host asked us to stop reading this session's source (msb.flow.pause, 0230) */
    union {
        struct {
            pid_t pid;
            int in_fd, out_fd, err_fd; /* -1 when closed; pty: in_fd == out_fd */
            int tty;
            struct buf in_q;
            int in_eof; /* host sent EOF: close stdin once in_q drained */
            int exited;
            int status;
            int64_t drain_deadline_ms, drain_limit_ms;
            uint64_t owed; /* bytes in the pipes when the child exited: always delivered (0231) */
        } ex;
        struct {
            int fd;
            uint64_t offset;
            uint64_t remaining; /* UINT64_MAX: to end of file */
            int sent_empty;
        } rd;
        struct {
            int fd;
            uint64_t offset;
            int append;
            int has_expected;
            uint64_t expected, written;
        } wr;
        struct {
            int fd;
            int connecting;
            struct buf q;
            int want_shutdown; /* host sent EOF: shutdown(SHUT_WR) once q drained */
            int read_eof;
            int64_t deadline_ms; /* connect timeout */
        } tcp;
    } u;
};

struct fs_handle {
    uint64_t id;
    uint32_t owner;
    int fd;
    void *dir; /* DIR* for directory handles */
    int read, write, append;
    char *path;
};

struct agent_config {
    const char *heartbeat_path; /* NULL: no heartbeat */
    int pid1;
    uint64_t boot_time_ns, init_time_ns;
    /* bootstrap defaults applied to exec requests */
    const char *default_user;
    const char *default_cwd;
};

struct agent {
    struct agent_config *cfg; /* msb.identity.apply replaces its exec defaults */
    int in_fd, out_fd;
    struct buf in, out;
    size_t out_head; /* bytes at the front of out already written to the host */
    struct session *sessions;
    struct fs_handle handles[MAX_FS_HANDLES];
    uint64_t next_handle;
    int sigfd;
    int shutdown;
    int reconnectable; /* virtio port: EOF means the host went away for now, not the end */
    /* heartbeat */
    int64_t next_heartbeat_ms;
    uint64_t heartbeat_seq, activity_seq;
    int64_t last_activity_ms;
    uint64_t host_messages, guest_messages, exec_output_bytes, fs_bytes, tcp_bytes;
};

int64_t now_ms(void);
uint64_t boottime_ns(void);

/* Serves one connection until EOF or shutdown. Returns 1 if the host asked to shut down. */
int agent_serve(struct agent *a, int in_fd, int out_fd);
void agent_init(struct agent *a, struct agent_config *cfg);
void agent_drop_sessions(struct agent *a);
void heartbeat_write(struct agent *a);

/* Sends a message with payload p (may be NULL for an empty payload). */
void send_msg(struct agent *a, enum mt t, uint32_t id, const struct buf *p);
/* Bytes queued for the host and not yet written. */
size_t out_backlog(const struct agent *a);
/* Reads from fd (pread at off when off >= 0) straight into a {data} frame of type t, with no
 * intermediate copy: up to max bytes, more than one read only for a pty (which hands out little per
 * read). Returns the bytes framed, 0 at EOF (nothing framed), or -1 with errno. */
ssize_t read_data_frame(struct agent *a, enum mt t, uint32_t id, int fd, off_t off, size_t max, int tty);
/* Sends {data: bytes}, the payload of every stream chunk (stdout, stderr, fs.data, tcp.data). */
void send_data(struct agent *a, enum mt t, uint32_t id, const void *data, size_t n);
void send_core_error(struct agent *a, uint32_t id, const char *kind, const char *message, const char *offending);
/* Steps the wall clock to ns since the epoch when agentd is the guest's PID 1 (core.clock.sync, msb.identity.apply);
 * a host-process agent leaves the host's clock alone (and returns 0). Returns clock_settime's result. */
int clock_step(const struct agent *a, uint64_t ns);
struct session *session_find(struct agent *a, uint32_t id);
struct session *session_new(struct agent *a, enum skind kind, uint32_t id);
int session_count(struct agent *a, enum skind kind);
void activity(struct agent *a);

/* exec.c; like fs_data and tcp_data, exec_stdin gets the bytes of a {data: bytes} stream message */
void exec_request(struct agent *a, struct msg *m);
void exec_stdin(struct agent *a, uint32_t id, const uint8_t *data, size_t n);
void exec_resize(struct agent *a, struct msg *m);
void exec_signal(struct agent *a, struct msg *m);
void exec_child_exited(struct agent *a, pid_t pid, int status);
void exec_close(struct session *s, int kill_group);
void exec_finish(struct agent *a, struct session *s);
void exec_output_read(struct session *s, size_t n);
void exec_drain_tick(struct agent *a, struct session *s, int64_t now);
int exec_finished(const struct session *s, int64_t now);
int exec_tty_eof(int fd);

/* fs.c */
void fs_request(struct agent *a, struct msg *m);
void fs_data(struct agent *a, uint32_t id, const uint8_t *data, size_t n);
void fs_read_pump(struct agent *a, struct session *s);
void fs_handles_close_range(struct agent *a, uint32_t start, uint32_t end);
void fs_close_session(struct session *s);

/* tcp.c */
void tcp_connect(struct agent *a, struct msg *m);
void tcp_data(struct agent *a, uint32_t id, const uint8_t *data, size_t n);
void tcp_eof(struct agent *a, struct msg *m);
void tcp_close(struct agent *a, struct msg *m);
void tcp_on_writable(struct agent *a, struct session *s);
void tcp_on_readable(struct agent *a, struct session *s);
void tcp_close_session(struct session *s);
void tcp_check_timeout(struct agent *a, struct session *s, int64_t now);

/* user.c: resolves "name", "uid", "name:group" or "uid:gid" from the guest's passwd/group files. */
struct user_info {
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
    char home[256];
    char name[64];
};
int user_resolve(const char *spec, const char *root, struct user_info *u, char *err, size_t errlen);

/* rlimits shared by exec and init */
int rlimit_resource(const char *name);

/* identity.c (decision 1240): the hostname, network and /etc files agentd sets at boot, the default env, and
 * msb.identity.apply, which gives a running guest (a restored memory snapshot) a new identity. */
struct cv;
void identity_boot(const struct cv *bs);
void identity_apply(struct agent *a, struct msg *m);
/* Sets a default_env entry in agentd's environment, which every exec inherits; the next identity_apply with
 * default_env takes it back. Returns setenv's result. */
int default_env_set(const char *key, const char *value);

/* init.c: PID 1 duties */
int init_system(struct agent_config *cfg);
/* With a handoff_init in the bootstrap (decision 0431): forks; PID 1 execs the init and the child returns to serve
 * the agent. Does not return when the init cannot be run (the guest powers off, saying why on the console). */
void init_handoff(void);
int open_agent_port(void);
/* Mounts one checked bootstrap mount (mkdir -p of its path first). Returns 0, or -1 with "<path> (<type> <source>):
 * <reason>" in err. */
struct guest_mount;
int guest_mount(const struct guest_mount *m, char *err, size_t errlen);
void boot_mark(const char *stage, const char *arg);
/* As PID 1: sync, remount / read-only, power off. After a handoff: ask the init to power off. */
void power_off(void);

#endif
