#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 4096
#define MAX_ENV 4096
#define MAX_ARG_BYTES (1024 * 1024)
#define MAX_RLIMITS 32

static const struct { const char *name; int res; } RLIMITS[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

/* Accepts "nofile", "NOFILE" and "RLIMIT_NOFILE". */
int rlimit_resource(const char *name)
{
    if (strncasecmp(name, "rlimit_", 7) == 0)
        name += 7;
    for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++)
        if (strcasecmp(name, RLIMITS[i].name) == 0)
            return RLIMITS[i].res;
    return -1;
}

static const char *errno_name(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOEXEC: return "ENOEXEC";
    case E2BIG: return "E2BIG";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ETXTBSY: return "ETXTBSY";
    default: return NULL;
    }
}

/* errno and errno_name fields; both null when there is no errno */
static void put_errno(struct buf *p, int err)
{
    const char *en = err ? errno_name(err) : NULL;
    cb_str(p, "errno");
    if (err)
        cb_int(p, err);
    else
        cb_null(p);
    cb_str(p, "errno_name");
    if (en)
        cb_str(p, en);
    else
        cb_null(p);
}

static void send_failed(struct agent *a, uint32_t id, const char *kind, int err, const char *stage, const char *message)
{
    struct buf p = {0};
    cb_map(&p, 5);
    cb_str(&p, "kind");
    cb_str(&p, kind);
    put_errno(&p, err);
    cb_str(&p, "message");
    cb_str(&p, message);
    cb_str(&p, "stage");
    if (stage)
        cb_str(&p, stage);
    else
        cb_null(&p);
    send_msg(a, MT_EXEC_FAILED, id, &p);
    buf_free(&p);
}

/* Stages the child reports through the CLOEXEC error pipe. */
enum stage { ST_PTY, ST_CWD, ST_RLIMIT, ST_USER, ST_EXEC };
static const char *const STAGE_NAMES[] = {"pty", "cwd", "rlimit", "user", "exec"};

struct child_error {
    int stage;
    int err;
};

struct rl {
    int res;
    struct rlimit lim;
};

/* Arrays of text are copied into a NULL-terminated vector; a is the field name for errors. */
static int text_array(struct fields *f, const char *key, size_t max_items, const char ***out, size_t *count, size_t *bytes)
{
    const struct cv *v = cv_get(f->map, key);
    *out = NULL;
    *count = 0;
    if (cv_is_absent(v))
        return 0;
    if (v->type != CV_ARRAY)
        return f_fail(f, key, "must be an array of text strings");
    if (v->n > max_items)
        return f_fail(f, key, "has too many items");
    const char **arr = xcalloc(v->n + 1, sizeof *arr);
    for (size_t i = 0; i < v->n; i++) {
        const struct cv *e = &v->kids[i];
        if (e->type != CV_TEXT || strlen(e->s) != e->n) {
            free(arr);
            return f_fail(f, key, "items must be text strings without NUL characters");
        }
        *bytes += e->n + 1;
        arr[i] = e->s;
    }
    if (*bytes > MAX_ARG_BYTES) {
        free(arr);
        return f_fail(f, key, "is larger than 1 MiB in total");
    }
    *out = arr;
    *count = v->n;
    return 0;
}

static int parse_rlimits(struct fields *f, struct rl *out, size_t *n)
{
    const struct cv *v = cv_get(f->map, "rlimits");
    *n = 0;
    if (cv_is_absent(v))
        return 0;
    if (v->type != CV_ARRAY)
        return f_fail(f, "rlimits", "must be an array of {resource, soft, hard}");
    if (v->n > MAX_RLIMITS)
        return f_fail(f, "rlimits", "has too many items");
    for (size_t i = 0; i < v->n; i++) {
        struct fields e = {.map = &v->kids[i]};
        const char *name;
        uint64_t soft, hard;
        if (v->kids[i].type != CV_MAP || f_text(&e, "resource", 1, 32, &name) ||
            f_u64(&e, "soft", 1, UINT64_MAX, &soft) || f_u64(&e, "hard", 1, UINT64_MAX, &hard)) {
            snprintf(f->err, sizeof f->err, "field rlimits[%zu]: %.200s", i,
                     v->kids[i].type != CV_MAP ? "must be a map" : e.err);
            return -1;
        }
        int res = rlimit_resource(name);
        if (res < 0)
            return f_fail(f, "rlimits.resource", "must name a known resource (nofile, nproc, as, ...)");
        if (soft > hard)
            return f_fail(f, "rlimits.soft", "must not exceed hard");
        out[*n].res = res;
        out[*n].lim.rlim_cur = soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)soft;
        out[*n].lim.rlim_max = hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)hard;
        (*n)++;
    }
    return 0;
}

/* Builds the child's environment: ours, then the user's identity, then the request (later wins). */
static char **build_env(const char **req, size_t nreq, const struct user_info *u, char *ids[3])
{
    size_t nbase = 0;
    while (environ && environ[nbase])
        nbase++;
    char **env = xcalloc(nbase + nreq + 4, sizeof *env);
    size_t n = 0;
    ids[0] = ids[1] = ids[2] = NULL;
    if (u) {
        size_t l = strlen(u->home) + 6;
        ids[0] = xmalloc(l);
        snprintf(ids[0], l, "HOME=%s", u->home);
        l = strlen(u->name) + 6;
        ids[1] = xmalloc(l);
        snprintf(ids[1], l, "USER=%s", u->name);
        l = strlen(u->name) + 9;
        ids[2] = xmalloc(l);
        snprintf(ids[2], l, "LOGNAME=%s", u->name);
    }
    const char **srcs[3] = {(const char **)environ, (const char **)ids, req};
    size_t counts[3] = {nbase, u ? 3u : 0u, nreq};
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < counts[s]; i++) {
            const char *e = srcs[s][i];
            const char *eq = strchr(e, '=');
            size_t kl = eq ? (size_t)(eq - e) : strlen(e);
            size_t j;
            for (j = 0; j < n; j++)
                if (strncmp(env[j], e, kl) == 0 && env[j][kl] == '=')
                    break;
            env[j] = (char *)e;
            if (j == n)
                n++;
        }
    env[n] = NULL;
    return env; /* the caller frees env and ids[] after the fork */
}

/* What the child needs between vfork and exec; it shares our memory then, and we wait (decision 1921). */
struct child_args {
    int tty;
    const char *slave;
    unsigned short rows, cols;
    int in, out, err; /* pipe ends for 0, 1, 2 (no tty) */
    const char *cwd;
    const struct rl *rls;
    size_t nrl;
    const struct user_info *up;
    const char *cmd;
    char *const *argv, *const *envp;
};

static _Noreturn void child_fail(volatile struct child_error *ce, enum stage st, int err)
{
    ce->err = err;
    ce->stage = st; /* the parent reads it once we are gone */
    _exit(127);
}

/* execvp with envp's PATH (the request's, as the program will see it) instead of ours; like musl, no sh fallback */
static void exec_path(const char *cmd, char *const *argv, char *const *envp)
{
    if (strchr(cmd, '/')) {
        execve(cmd, argv, envp);
        return;
    }
    const char *path = "/usr/local/bin:/bin:/usr/bin";
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    size_t k = strlen(cmd);
    int eacces = 0;
    char b[4096 + 256];
    for (const char *p = path;; p++) {
        const char *z = strchrnul(p, ':');
        size_t l = (size_t)(z - p);
        if (l + k + 2 <= sizeof b) {
            memcpy(b, p, l);
            b[l] = '/';
            memcpy(b + l + (l > 0), cmd, k + 1); /* an empty element is the working directory */
            execve(b, argv, envp);
            if (errno == EACCES)
                eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                return;
        }
        if (!*z)
            break;
        p = z;
    }
    errno = eacces ? EACCES : ENOENT;
}

/* The child after vfork: system calls only (rlimits and the user change as raw syscalls: libc's may act for all of
 * our threads, and we share memory), then exec or report the failing stage through ce and _exit. */
static _Noreturn void exec_child(const struct child_args *c, volatile struct child_error *ce)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL); /* SIG_DFL: no libc state changes, only the child's disposition */
    setsid(); /* own process group: signals reach everything it starts */
    if (c->tty) {
        int sfd = open(c->slave, O_RDWR);
        struct winsize ws = {.ws_row = c->rows, .ws_col = c->cols};
        if (sfd < 0 || ioctl(sfd, TIOCSCTTY, 0) < 0 || ioctl(sfd, TIOCSWINSZ, &ws) < 0)
            child_fail(ce, ST_PTY, errno);
        dup2(sfd, 0);
        dup2(sfd, 1);
        dup2(sfd, 2);
        if (sfd > 2)
            close(sfd);
    } else {
        dup2(c->in, 0);
        dup2(c->out, 1);
        dup2(c->err, 2);
    }
    if (c->cwd && chdir(c->cwd))
        child_fail(ce, ST_CWD, errno);
    for (size_t i = 0; i < c->nrl; i++)
        if (syscall(SYS_prlimit64, 0, c->rls[i].res, &c->rls[i].lim, NULL))
            child_fail(ce, ST_RLIMIT, errno);
    const struct user_info *up = c->up;
    if (up) {
        if (geteuid() == 0) {
            if (syscall(SYS_setgroups, (size_t)up->ngroups, up->groups) || syscall(SYS_setgid, up->gid) ||
                syscall(SYS_setuid, up->uid))
                child_fail(ce, ST_USER, errno);
        } else if (up->uid != geteuid() || up->gid != getegid()) {
            child_fail(ce, ST_USER, EPERM);
        }
    }
    exec_path(c->cmd, c->argv, c->envp);
    child_fail(ce, ST_EXEC, errno);
}

/* Apart, so that nothing of the caller's lives across vfork's two returns */
static __attribute__((noinline)) pid_t spawn(const struct child_args *c, volatile struct child_error *ce)
{
    pid_t pid = vfork();
    if (pid == 0)
        exec_child(c, ce);
    return pid;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void exec_request(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    const char *cmd, *cwd = NULL, *user = NULL;
    const char **args = NULL, **env = NULL;
    size_t nargs = 0, nenv = 0, bytes = 0, nrl = 0;
    int tty = 0;
    uint64_t rows = 24, cols = 80;
    struct rl rls[MAX_RLIMITS];
    if (session_find(a, m->id)) {
        send_core_error(a, m->id, "invalid_session", "session id is already in use", m->tname);
        return;
    }
    if (f_text(&f, "cmd", 1, 4096, &cmd) < 0 || text_array(&f, "args", MAX_ARGS, &args, &nargs, &bytes) < 0 ||
        text_array(&f, "env", MAX_ENV, &env, &nenv, &bytes) < 0 || f_text(&f, "cwd", 0, 4096, &cwd) < 0 ||
        f_text(&f, "user", 0, 256, &user) < 0 || f_bool(&f, "tty", 0, &tty) < 0 ||
        f_u64(&f, "rows", 0, 65535, &rows) < 0 || f_u64(&f, "cols", 0, 65535, &cols) < 0 ||
        parse_rlimits(&f, rls, &nrl) < 0) {
        send_failed(a, m->id, "bad_args", 0, "request", f.err);
        goto out;
    }
    if (!*cmd) {
        send_failed(a, m->id, "bad_args", 0, "request", "field cmd: must not be empty");
        goto out;
    }
    for (size_t i = 0; i < nenv; i++)
        if (!strchr(env[i], '=') || env[i][0] == '=') {
            send_failed(a, m->id, "bad_args", 0, "request", "field env: items must be KEY=VALUE with a non-empty KEY");
            goto out;
        }
    if (!cwd)
        cwd = a->cfg->default_cwd;
    if (!user)
        user = a->cfg->default_user;
    struct user_info ui, *up = NULL;
    if (user) {
        char err[256];
        if (user_resolve(user, "", &ui, err, sizeof err)) {
            send_failed(a, m->id, "user_setup_failed", 0, "user", err);
            goto out;
        }
        up = &ui;
    }
    struct session *s = session_new(a, S_EXEC, m->id);
    if (!s) {
        send_failed(a, m->id, "resource_limit", 0, "request", "too many sessions");
        goto out;
    }
    s->u.ex.in_fd = s->u.ex.out_fd = s->u.ex.err_fd = -1;
    s->u.ex.tty = tty;
    int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int master = -1;
    char slave[64] = "";
    if (tty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) || unlockpt(master) || ptsname_r(master, slave, sizeof slave)) {
            int e = errno;
            if (master >= 0)
                close(master);
            send_failed(a, m->id, "pty_setup_failed", e, "pty", strerror(e));
            s->done = 1;
            goto out;
        }
    } else if (pipe2(inp, O_CLOEXEC) || pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        int e = errno;
        int *ps[3] = {inp, outp, errp};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                if (ps[i][j] >= 0)
                    close(ps[i][j]);
        send_failed(a, m->id, "resource_limit", e, "pipes", strerror(e));
        s->done = 1;
        goto out;
    }
    const char **argv = xcalloc(nargs + 2, sizeof *argv);
    argv[0] = cmd;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    char *ids[3];
    char **envp = build_env(env, nenv, up, ids);
    struct child_args ca = {.tty = tty, .slave = slave, .rows = (unsigned short)rows, .cols = (unsigned short)cols,
                            .in = inp[0], .out = outp[1], .err = errp[1], .cwd = cwd, .rls = rls, .nrl = nrl,
                            .up = up, .cmd = cmd, .argv = (char *const *)argv, .envp = envp};
    /* vfork: no copy of our page tables and no copy-on-write faults afterwards, which under TCG cost more than the
     * exec itself; we are suspended until the child execs or exits, so its failure is simply in ce (1921) */
    volatile struct child_error ce = {-1, 0};
    pid_t pid = spawn(&ca, &ce);
    int fork_err = errno;
    if (tty) {
        s->u.ex.in_fd = s->u.ex.out_fd = master;
    } else {
        close(inp[0]);
        close(outp[1]);
        close(errp[1]);
        s->u.ex.in_fd = inp[1];
        s->u.ex.out_fd = outp[0];
        s->u.ex.err_fd = errp[0];
    }
    free(argv);
    free(envp);
    for (int i = 0; i < 3; i++)
        free(ids[i]);
    if (pid < 0) {
        send_failed(a, m->id, "resource_limit", fork_err, "fork", strerror(fork_err));
        s->done = 1;
        goto out;
    }
    if (ce.stage >= 0) {
        int status;
        waitpid(pid, &status, 0);
        const char *kind = "other";
        if (ce.stage == ST_PTY) kind = "pty_setup_failed";
        else if (ce.stage == ST_CWD) kind = "bad_cwd";
        else if (ce.stage == ST_RLIMIT) kind = "resource_limit";
        else if (ce.stage == ST_USER) kind = "user_setup_failed";
        else if (ce.err == ENOENT || ce.err == ENOTDIR) kind = "not_found";
        else if (ce.err == EACCES || ce.err == EPERM) kind = "permission_denied";
        else if (ce.err == ENOEXEC || ce.err == EISDIR || ce.err == ETXTBSY) kind = "not_executable";
        else if (ce.err == E2BIG || ce.err == ENAMETOOLONG) kind = "bad_args";
        else if (ce.err == ENOMEM) kind = "out_of_memory";
        else if (ce.err == EAGAIN || ce.err == EMFILE || ce.err == ENFILE) kind = "resource_limit";
        char msg[512];
        const char *stage = ce.stage <= ST_EXEC ? STAGE_NAMES[ce.stage] : "exec";
        snprintf(msg, sizeof msg, "%s %s: %s", stage, ce.stage == ST_CWD ? cwd : ce.stage == ST_USER ? user : cmd,
                 strerror(ce.err));
        send_failed(a, m->id, kind, ce.err, stage, msg);
        s->done = 1;
        goto out;
    }
    s->u.ex.pid = pid;
    if (s->u.ex.in_fd >= 0)
        set_nonblock(s->u.ex.in_fd);
    if (s->u.ex.out_fd >= 0)
        set_nonblock(s->u.ex.out_fd);
    if (s->u.ex.err_fd >= 0)
        set_nonblock(s->u.ex.err_fd);
    if (!tty) {
        /* a 1 MiB pipe lets a fast writer fill whole 256 KiB frames while we write to the host;
         * the kernel may refuse (pipe-max-size, per-user limits): the default 64 KiB still works */
        fcntl(s->u.ex.out_fd, F_SETPIPE_SZ, PIPE_SIZE);
        fcntl(s->u.ex.err_fd, F_SETPIPE_SZ, PIPE_SIZE);
    }
    struct buf p = {0};
    cb_map(&p, 1);
    cb_str(&p, "pid");
    cb_uint(&p, (uint64_t)pid);
    send_msg(a, MT_EXEC_STARTED, m->id, &p);
    buf_free(&p);
out:
    free(args);
    free(env);
}

static struct session *exec_session(struct agent *a, uint32_t id)
{
    struct session *s = session_find(a, id);
    return s && s->kind == S_EXEC ? s : NULL;
}

static void stdin_error(struct agent *a, uint32_t id, int err, const char *message)
{
    struct buf p = {0};
    cb_map(&p, 3);
    put_errno(&p, err);
    cb_str(&p, "message");
    cb_str(&p, message);
    send_msg(a, MT_EXEC_STDIN_ERROR, id, &p);
    buf_free(&p);
}

void exec_stdin(struct agent *a, uint32_t id, const uint8_t *data, size_t n)
{
    struct session *s = exec_session(a, id);
    if (!s || s->u.ex.exited)
        return; /* racing with exit: nothing left to feed */
    if (!n) {
        s->u.ex.in_eof = 1;
        return;
    }
    if (s->u.ex.in_fd < 0 || (s->u.ex.in_eof && !s->u.ex.tty)) {
        stdin_error(a, id, EPIPE, "stdin is closed");
        return;
    }
    if (s->u.ex.in_q.len + n > SESSION_QUEUE_MAX) {
        /* the process does not read its stdin: refuse rather than block other sessions */
        stdin_error(a, id, ENOBUFS, "stdin queue is full (4 MiB); data dropped");
        return;
    }
    buf_put(&s->u.ex.in_q, data, n);
}

void exec_resize(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    uint64_t rows, cols;
    if (f_u64(&f, "rows", 1, 65535, &rows) || f_u64(&f, "cols", 1, 65535, &cols)) {
        send_core_error(a, m->id, "invalid_payload", f.err, m->tname);
        return;
    }
    struct session *s = exec_session(a, m->id);
    if (s && s->u.ex.tty && s->u.ex.out_fd >= 0) {
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        ioctl(s->u.ex.out_fd, TIOCSWINSZ, &ws);
    }
}

void exec_signal(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    int64_t sig;
    if (f_i64(&f, "signal", 1, &sig) || sig < 1 || sig > 64) {
        if (!f.err[0])
            f_fail(&f, "signal", "must be a signal number 1..64");
        send_core_error(a, m->id, "invalid_payload", f.err, m->tname);
        return;
    }
    struct session *s = exec_session(a, m->id);
    if (s && !s->u.ex.exited)
        kill(-s->u.ex.pid, (int)sig);
}

int exec_tty_eof(int fd)
{
    /* a terminal has no half-close: send the line discipline's EOF character */
    struct termios t;
    char c = tcgetattr(fd, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
    return write(fd, &c, 1) == 1 ? 0 : -1;
}

static uint64_t pipe_pending(int fd)
{
    int n = 0;
    return fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

void exec_child_exited(struct agent *a, pid_t pid, int status)
{
    for (struct session *s = a->sessions; s; s = s->next)
        if (s->kind == S_EXEC && !s->done && s->u.ex.pid == pid && !s->u.ex.exited) {
            s->u.ex.exited = 1;
            s->u.ex.status = status;
            /* what the process wrote before it exited is delivered whatever the time (decision 0231) */
            s->u.ex.owed = pipe_pending(s->u.ex.out_fd) +
                           (s->u.ex.err_fd != s->u.ex.out_fd ? pipe_pending(s->u.ex.err_fd) : 0);
            s->u.ex.drain_deadline_ms = now_ms() + EXEC_DRAIN_MS;
            s->u.ex.drain_limit_ms = now_ms() + EXEC_DRAIN_MAX_MS;
            return;
        }
}

void exec_output_read(struct session *s, size_t n)
{
    if (s->u.ex.exited)
        s->u.ex.owed = n < s->u.ex.owed ? s->u.ex.owed - n : 0;
}

/* Output written after the exit (by background children) gets EXEC_DRAIN_MS of grace, which
 * restarts while the host cannot take output; time the host paused the session does not count
 * against the EXEC_DRAIN_MAX_MS bound, time it was merely slow does (decisions 0202, 0231). */
void exec_drain_tick(struct agent *a, struct session *s, int64_t now)
{
    if (s->paused && s->u.ex.drain_limit_ms < now + EXEC_DRAIN_MAX_MS)
        s->u.ex.drain_limit_ms = now + EXEC_DRAIN_MAX_MS;
    if ((s->paused || out_backlog(a) >= OUT_HIGH_WATER) && s->u.ex.drain_deadline_ms < now + EXEC_DRAIN_MS)
        s->u.ex.drain_deadline_ms =
            now + EXEC_DRAIN_MS < s->u.ex.drain_limit_ms ? now + EXEC_DRAIN_MS : s->u.ex.drain_limit_ms;
}

/* exited may be sent: the pipes are closed, or everything owed went out and the grace is over */
int exec_finished(const struct session *s, int64_t now)
{
    if (s->u.ex.out_fd < 0 && s->u.ex.err_fd < 0)
        return 1;
    return !s->u.ex.owed && now >= s->u.ex.drain_deadline_ms;
}

void exec_finish(struct agent *a, struct session *s)
{
    int st = s->u.ex.status;
    struct buf p = {0};
    if (WIFSIGNALED(st)) {
        /* shell convention 128+n, with the signal itself as an extra field (decision 0202) */
        cb_map(&p, 2);
        cb_str(&p, "code");
        cb_int(&p, 128 + WTERMSIG(st));
        cb_str(&p, "signal");
        cb_int(&p, WTERMSIG(st));
    } else {
        cb_map(&p, 1);
        cb_str(&p, "code");
        cb_int(&p, WEXITSTATUS(st));
    }
    send_msg(a, MT_EXEC_EXITED, s->id, &p);
    buf_free(&p);
    s->done = 1;
}

void exec_close(struct session *s, int kill_group)
{
    if (kill_group && s->u.ex.pid > 0 && !s->u.ex.exited)
        kill(-s->u.ex.pid, SIGKILL);
    if (s->u.ex.in_fd >= 0 && s->u.ex.in_fd != s->u.ex.out_fd)
        close(s->u.ex.in_fd);
    if (s->u.ex.out_fd >= 0)
        close(s->u.ex.out_fd);
    if (s->u.ex.err_fd >= 0)
        close(s->u.ex.err_fd);
    s->u.ex.in_fd = s->u.ex.out_fd = s->u.ex.err_fd = -1;
    buf_free(&s->u.ex.in_q);
}
