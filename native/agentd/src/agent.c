#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t now_ms(void) { return clock_ns(CLOCK_MONOTONIC) / 1000000; }
uint64_t boottime_ns(void) { return (uint64_t)clock_ns(CLOCK_BOOTTIME); }

static int64_t last_activity_real_ns;

void activity(struct agent *a)
{
    a->activity_seq++;
    a->last_activity_ms = now_ms();
    last_activity_real_ns = clock_ns(CLOCK_REALTIME);
}

void send_msg(struct agent *a, enum mt t, uint32_t id, const struct buf *p)
{
    frame_append(&a->out, t, id, p);
    a->guest_messages++;
}

size_t out_backlog(const struct agent *a) { return a->out.len - a->out_head; }

void send_data(struct agent *a, enum mt t, uint32_t id, const void *data, size_t n)
{
    buf_reserve(&a->out, FRAME_PREFIX_MAX + n);
    a->out.len += frame_data_prefix(a->out.p + a->out.len, t, id, n);
    buf_put(&a->out, data, n);
    a->guest_messages++;
}

ssize_t read_data_frame(struct agent *a, enum mt t, uint32_t id, int fd, off_t off, size_t max, int tty)
{
    uint8_t guess[FRAME_PREFIX_MAX];
    /* read behind room for the prefix of a max-sized chunk; a shorter prefix moves the data once */
    size_t room = frame_data_prefix(guess, t, id, max), got = 0;
    buf_reserve(&a->out, room + max);
    uint8_t *data = a->out.p + a->out.len + room;
    ssize_t r = 0;
    while (got < max) {
        r = off < 0 ? read(fd, data + got, max - got) : pread(fd, data + got, max - got, off + (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (!tty && got < max)
            break; /* a short pipe read took everything there was */
    }
    if (!got)
        return r;
    uint8_t *dst = a->out.p + a->out.len;
    size_t pl = frame_data_prefix(dst, t, id, got);
    if (pl != room)
        memmove(dst + pl, data, got);
    a->out.len += pl + got;
    a->guest_messages++;
    return (ssize_t)got;
}

void send_core_error(struct agent *a, uint32_t id, const char *kind, const char *message, const char *offending)
{
    struct buf p = {0};
    p_core_error(&p, kind, message, offending);
    send_msg(a, MT_ERROR, id, &p);
    buf_free(&p);
}

struct session *session_find(struct agent *a, uint32_t id)
{
    for (struct session *s = a->sessions; s; s = s->next)
        if (s->id == id && !s->done)
            return s;
    return NULL;
}

int session_count(struct agent *a, enum skind kind)
{
    int n = 0;
    for (struct session *s = a->sessions; s; s = s->next)
        if (!s->done && s->kind == kind)
            n++;
    return n;
}

struct session *session_new(struct agent *a, enum skind kind, uint32_t id)
{
    int n = 0;
    for (struct session *s = a->sessions; s; s = s->next)
        n++;
    if (n >= MAX_SESSIONS)
        return NULL;
    struct session *s = xcalloc(1, sizeof *s);
    s->kind = kind;
    s->id = id;
    s->next = a->sessions;
    a->sessions = s;
    return s;
}

static void session_release(struct session *s, int kill_group)
{
    switch (s->kind) {
    case S_EXEC: exec_close(s, kill_group); break;
    case S_FS_READ:
    case S_FS_WRITE: fs_close_session(s); break;
    case S_TCP: tcp_close_session(s); break;
    }
    free(s);
}

static void sessions_sweep(struct agent *a)
{
    struct session **pp = &a->sessions;
    while (*pp) {
        struct session *s = *pp;
        if (s->done) {
            *pp = s->next;
            session_release(s, 0);
        } else
            pp = &s->next;
    }
}

void agent_drop_sessions(struct agent *a)
{
    while (a->sessions) {
        struct session *s = a->sessions;
        a->sessions = s->next;
        session_release(s, 1);
    }
    fs_handles_close_range(a, 0, UINT32_MAX);
}

void agent_init(struct agent *a, struct agent_config *cfg)
{
    memset(a, 0, sizeof *a);
    a->cfg = cfg;
    for (int i = 0; i < MAX_FS_HANDLES; i++)
        a->handles[i].fd = -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    activity(a);
}

/* ---- heartbeat ---- */

static void iso8601(char *out, size_t n, int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%09lldZ", (long long)(ns % 1000000000LL));
}

void heartbeat_write(struct agent *a)
{
    if (!a->cfg->heartbeat_path)
        return;
    a->heartbeat_seq++;
    char now[48], last[48];
    iso8601(now, sizeof now, clock_ns(CLOCK_REALTIME));
    iso8601(last, sizeof last, last_activity_real_ns);
    int fs = session_count(a, S_FS_READ) + session_count(a, S_FS_WRITE);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->cfg->heartbeat_path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    fprintf(f,
            "{\"heartbeat_seq\":%llu,\"activity_seq\":%llu,\"timestamp\":\"%s\",\"last_activity\":\"%s\","
            "\"active_exec_sessions\":%d,\"active_fs_streams\":%d,\"active_tcp_streams\":%d,"
            "\"activity_counters\":{\"host_messages\":%llu,\"guest_messages\":%llu,\"exec_output_bytes\":%llu,"
            "\"fs_bytes\":%llu,\"tcp_bytes\":%llu}}\n",
            (unsigned long long)a->heartbeat_seq, (unsigned long long)a->activity_seq, now, last,
            session_count(a, S_EXEC), fs, session_count(a, S_TCP), (unsigned long long)a->host_messages,
            (unsigned long long)a->guest_messages, (unsigned long long)a->exec_output_bytes,
            (unsigned long long)a->fs_bytes, (unsigned long long)a->tcp_bytes);
    if (fclose(f) == 0)
        rename(tmp, a->cfg->heartbeat_path);
    else
        unlink(tmp);
}

/* ---- children ---- */

static void reap(struct agent *a)
{
    struct signalfd_siginfo si;
    while (read(a->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    int status;
    pid_t pid;
    /* As PID 1 this also reaps orphans re-parented to us. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        exec_child_exited(a, pid, status);
}

/* ---- host messages ---- */

static void ready(struct agent *a)
{
    struct buf p = {0};
    cb_map(&p, 5);
    cb_str(&p, "boot_time_ns");
    cb_uint(&p, a->cfg->boot_time_ns);
    cb_str(&p, "init_time_ns");
    cb_uint(&p, a->cfg->init_time_ns);
    cb_str(&p, "ready_time_ns");
    cb_uint(&p, boottime_ns());
    cb_str(&p, "agent_version");
    cb_str(&p, AGENT_VERSION);
    cb_str(&p, "flow_control"); /* we honour msb.flow.pause/resume (decision 0230) */
    cb_bool(&p, 1);
    send_msg(a, MT_READY, 0, &p);
    buf_free(&p);
}

static void relay_disconnected(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    uint64_t start, end;
    if (f_u64(&f, "id_start", 1, UINT32_MAX, &start) || f_u64(&f, "id_end_exclusive", 1, 0x100000000ULL, &end)) {
        send_core_error(a, m->id, "invalid_payload", f.err, m->tname);
        return;
    }
    for (struct session *s = a->sessions; s; s = s->next)
        if (!s->done && s->id >= start && s->id < end) {
            if (s->kind == S_EXEC)
                exec_close(s, 1);
            s->done = 1;
        }
    fs_handles_close_range(a, (uint32_t)start, end > UINT32_MAX ? UINT32_MAX : (uint32_t)end);
}

int clock_step(const struct agent *a, uint64_t ns)
{
    /* Only the guest's init owns the clock; a host-process agent must not touch the host's. */
    if (!a->cfg->pid1)
        return 0;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
    return clock_settime(CLOCK_REALTIME, &ts);
}

static void clock_sync(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    uint64_t ns;
    if (f_u64(&f, "unix_time_nanos", 1, UINT64_MAX, &ns)) {
        send_core_error(a, m->id, "invalid_payload", f.err, m->tname);
        return;
    }
    if (clock_step(a, ns))
        fprintf(stderr, "agentd: clock sync failed: %s\n", strerror(errno));
}

static void shutdown_all(struct agent *a)
{
    for (struct session *s = a->sessions; s; s = s->next)
        if (s->kind == S_EXEC && !s->u.ex.exited)
            kill(-s->u.ex.pid, SIGTERM);
    sync();
    a->shutdown = 1;
}

/* Hands the bytes of a {data: bytes} stream message to its handler; a bad payload is answered with core.error. */
static void with_data(struct agent *a, struct msg *m,
                      void (*handler)(struct agent *a, uint32_t id, const uint8_t *data, size_t n))
{
    const uint8_t *data;
    size_t n;
    struct fields f = {.map = m->payload.root};
    if (f_bytes(&f, "data", 1, &data, &n))
        send_core_error(a, m->id, "invalid_payload", f.err, m->tname);
    else
        handler(a, m->id, data, n);
}

static void handle_frame(struct agent *a, uint32_t id, uint8_t flags, const uint8_t *body, size_t n)
{
    struct msg m = {0};
    const char *kind;
    char err[300];
    m.id = id;
    m.flags = flags;
    a->host_messages++;
    activity(a);
    if (msg_decode(body, n, &m, &kind, err, sizeof err)) {
        send_core_error(a, id, kind, err, m.tname);
        msg_free(&m);
        return;
    }
    switch (m.type) {
    case MT_PING:
        send_msg(a, MT_PONG, id, NULL);
        break;
    case MT_TOUCH: {
        struct buf p = {0};
        cb_map(&p, 1);
        cb_str(&p, "activity_seq");
        cb_uint(&p, a->activity_seq);
        send_msg(a, MT_TOUCHED, id, &p);
        buf_free(&p);
        break;
    }
    case MT_SHUTDOWN: shutdown_all(a); break;
    case MT_EXEC_REQUEST: exec_request(a, &m); break;
    case MT_EXEC_STDIN: with_data(a, &m, exec_stdin); break;
    case MT_EXEC_RESIZE: exec_resize(a, &m); break;
    case MT_EXEC_SIGNAL: exec_signal(a, &m); break;
    case MT_FS_REQUEST: fs_request(a, &m); break;
    case MT_FS_DATA: with_data(a, &m, fs_data); break;
    case MT_TCP_CONNECT: tcp_connect(a, &m); break;
    case MT_TCP_DATA: with_data(a, &m, tcp_data); break;
    case MT_TCP_EOF: tcp_eof(a, &m); break;
    case MT_TCP_CLOSE: tcp_close(a, &m); break;
    case MT_RELAY_CLIENT_DISCONNECTED: relay_disconnected(a, &m); break;
    case MT_CLOCK_SYNC: clock_sync(a, &m); break;
    case MT_IDENTITY_APPLY: identity_apply(a, &m); break;
    case MT_FLOW_PAUSE:
    case MT_FLOW_RESUME: {
        /* an id that already ended is no error: the host's pause crossed the session's end */
        struct session *s = session_find(a, id);
        if (s)
            s->paused = m.type == MT_FLOW_PAUSE;
        break;
    }
    default:
        /* a known type the agent has no handler for is ignored, as microsandbox's agent ignores it
         * (decision 0430): core.pong and the other agent-to-host types, and the boot handshake's
         * core.init.ack and core.bootstrap (the bootstrap comes from the initramfs here, 0203) */
        break;
    }
    msg_free(&m);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Handles every complete frame in a->in. Returns -1 when the stream cannot be resynchronised. */
static int process_input(struct agent *a)
{
    size_t off = 0;
    int rc = 0;
    while (!a->shutdown) {
        uint32_t len = 0;
        int fc = frame_check(a->in.p + off, a->in.len - off, &len);
        if (fc == FRAME_INCOMPLETE)
            break;
        if (fc != FRAME_OK) {
            /* the stream cannot be resynchronised: report and drop the connection */
            char err[128];
            snprintf(err, sizeof err, "frame length %u is outside %u..%u", len, FRAME_HEADER, MAX_FRAME);
            send_core_error(a, 0, "malformed_message", err, NULL);
            rc = -1;
            break;
        }
        const uint8_t *f = a->in.p + off + 4;
        handle_frame(a, be32(f), f[4], f + FRAME_HEADER, len - FRAME_HEADER);
        off += 4 + (size_t)len;
    }
    buf_consume(&a->in, off);
    return rc;
}

static void flush_out(struct agent *a)
{
    while (out_backlog(a)) {
        ssize_t w = write(a->out_fd, a->out.p + a->out_head, out_backlog(a));
        if (w > 0)
            a->out_head += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    /* compact only when less is left than was written: each byte moves O(1) times on average */
    if (a->out_head == a->out.len)
        a->out.len = a->out_head = 0;
    else if (a->out_head >= out_backlog(a)) {
        memmove(a->out.p, a->out.p + a->out_head, out_backlog(a));
        a->out.len -= a->out_head;
        a->out_head = 0;
    }
}

/* Blocks at most ~1 s to hand queued frames to the host before exiting. */
static void drain_out(struct agent *a)
{
    for (int i = 0; i < 100 && out_backlog(a); i++) {
        struct pollfd p = {.fd = a->out_fd, .events = POLLOUT};
        if (poll(&p, 1, 10) < 0 && errno != EINTR)
            return;
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
            return;
        flush_out(a);
    }
}

enum pw { PW_SIG, PW_IN, PW_OUT, PW_EX_IN, PW_EX_OUT, PW_EX_ERR, PW_TCP };

int agent_serve(struct agent *a, int in_fd, int out_fd)
{
    a->in_fd = in_fd;
    a->out_fd = out_fd;
    a->in.len = 0;
    a->out.len = a->out_head = 0;
    fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);
    ready(a);
    size_t cap = 64;
    struct pollfd *pf = xmalloc(cap * sizeof *pf);
    struct session **ps = xmalloc(cap * sizeof *ps);
    enum pw *pw = xmalloc(cap * sizeof *pw);
    int result = 0;
    for (;;) {
        size_t n = 0;
        size_t need = 3 + 3 * (size_t)MAX_SESSIONS;
        if (cap < need) {
            cap = need;
            pf = realloc(pf, cap * sizeof *pf);
            ps = realloc(ps, cap * sizeof *ps);
            pw = realloc(pw, cap * sizeof *pw);
            if (!pf || !ps || !pw)
                abort();
        }
#define ADD(fd_, ev_, s_, w_) (pf[n] = (struct pollfd){.fd = (fd_), .events = (short)(ev_)}, ps[n] = (s_), pw[n++] = (w_))
        ADD(a->sigfd, POLLIN, NULL, PW_SIG);
        ADD(a->in_fd, out_backlog(a) < OUT_HARD_LIMIT ? POLLIN : 0, NULL, PW_IN);
        ADD(a->out_fd, out_backlog(a) ? POLLOUT : 0, NULL, PW_OUT);
        int room = out_backlog(a) < OUT_HIGH_WATER;
        /* a session the host paused is not read at all: its producer blocks, the others go on */
        int timeout = 1000;
        int64_t now = now_ms();
        for (struct session *s = a->sessions; s; s = s->next) {
            if (s->done)
                continue;
            if (s->kind == S_EXEC) {
                if (s->u.ex.in_fd >= 0 && (s->u.ex.in_q.len || s->u.ex.in_eof) && !s->u.ex.exited)
                    ADD(s->u.ex.in_fd, POLLOUT, s, PW_EX_IN);
                if (s->u.ex.out_fd >= 0 && room && !s->paused)
                    ADD(s->u.ex.out_fd, POLLIN, s, PW_EX_OUT);
                if (s->u.ex.err_fd >= 0 && room && !s->paused)
                    ADD(s->u.ex.err_fd, POLLIN, s, PW_EX_ERR);
                if (s->u.ex.exited && !s->u.ex.owed) { /* owed output wakes us by itself */
                    int64_t left = s->u.ex.drain_deadline_ms - now;
                    if (left < timeout)
                        timeout = left < 0 ? 0 : (int)left;
                }
            } else if (s->kind == S_TCP) {
                short ev = 0;
                if (s->u.tcp.connecting || s->u.tcp.q.len || s->u.tcp.want_shutdown)
                    ev |= POLLOUT;
                if (!s->u.tcp.connecting && !s->u.tcp.read_eof && room && !s->paused)
                    ev |= POLLIN;
                if (s->u.tcp.connecting) {
                    int64_t left = s->u.tcp.deadline_ms - now;
                    if (left < timeout)
                        timeout = left < 0 ? 0 : (int)left;
                }
                if (ev) /* a half-closed socket reports POLLHUP forever: only poll with a reason */
                    ADD(s->u.tcp.fd, ev, s, PW_TCP);
            } else if (s->kind == S_FS_READ && room && !s->paused) {
                timeout = 0;
            }
        }
#undef ADD
        int64_t hb_left = a->next_heartbeat_ms - now;
        if (a->cfg->heartbeat_path && hb_left < timeout)
            timeout = hb_left < 0 ? 0 : (int)hb_left;
        int rc = poll(pf, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR) {
            perror("agentd: poll");
            break;
        }
        if (rc == 0 && !out_backlog(a) && a->out.cap > 2 * FRAME_DATA_MAX) {
            /* idle: give back what a burst of output grew the queue to */
            buf_free(&a->out);
            a->out_head = 0;
        }
        if (rc > 0 && pf[0].revents)
            reap(a);
        for (size_t i = 3; rc > 0 && i < n; i++) {
            struct session *s = ps[i];
            if (!pf[i].revents || s->done)
                continue;
            switch (pw[i]) {
            case PW_EX_IN: {
                if (s->u.ex.in_q.len) {
                    ssize_t w = write(s->u.ex.in_fd, s->u.ex.in_q.p, s->u.ex.in_q.len);
                    if (w > 0)
                        buf_consume(&s->u.ex.in_q, (size_t)w);
                    else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                        s->u.ex.in_q.len = 0; /* reader went away: drop what it can never read */
                        s->u.ex.in_eof = 1;
                    }
                }
                if (!s->u.ex.in_q.len && s->u.ex.in_eof) {
                    if (s->u.ex.tty) {
                        exec_tty_eof(s->u.ex.in_fd);
                        s->u.ex.in_eof = 0;
                    } else {
                        close(s->u.ex.in_fd);
                        s->u.ex.in_fd = -1;
                    }
                }
                break;
            }
            case PW_EX_OUT:
            case PW_EX_ERR: {
                int *fdp = pw[i] == PW_EX_OUT ? &s->u.ex.out_fd : &s->u.ex.err_fd;
                if (*fdp < 0)
                    break;
                /* whole 256 KiB frames while the host keeps up; past the high-water mark every
                 * readable session still gets a turn, but only 64 KiB, to bound the backlog */
                size_t max = out_backlog(a) < OUT_HIGH_WATER ? FRAME_DATA_MAX : IO_CHUNK;
                ssize_t r = read_data_frame(a, pw[i] == PW_EX_OUT ? MT_EXEC_STDOUT : MT_EXEC_STDERR, s->id, *fdp,
                                            -1, max, s->u.ex.tty);
                if (r > 0) {
                    exec_output_read(s, (size_t)r);
                    a->exec_output_bytes += (uint64_t)r;
                    activity(a);
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    /* EOF, or EIO on a pty master once the terminal's last writer is gone */
                    if (s->u.ex.tty && *fdp == s->u.ex.in_fd)
                        s->u.ex.in_fd = -1;
                    close(*fdp);
                    *fdp = -1;
                }
                break;
            }
            case PW_TCP:
                if (pf[i].revents & (POLLOUT | POLLERR | POLLHUP))
                    tcp_on_writable(a, s);
                if (!s->done && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && !s->u.tcp.connecting)
                    tcp_on_readable(a, s);
                break;
            default:
                break;
            }
        }
        for (struct session *s = a->sessions; s; s = s->next)
            if (!s->done && s->kind == S_FS_READ && !s->paused && out_backlog(a) < OUT_HIGH_WATER)
                fs_read_pump(a, s);
        now = now_ms();
        for (struct session *s = a->sessions; s; s = s->next) {
            if (!s->done && s->kind == S_TCP)
                tcp_check_timeout(a, s, now);
            if (!s->done && s->kind == S_EXEC && s->u.ex.exited)
                exec_drain_tick(a, s, now);
        }
        for (struct session *s = a->sessions; s; s = s->next)
            if (!s->done && s->kind == S_EXEC && s->u.ex.exited && exec_finished(s, now))
                exec_finish(a, s);
        int eof = 0;
        if (pf[1].revents) {
            /* as much as the host has sent, up to a big chunk: fewer rounds for fs writes and stdin */
            buf_reserve(&a->in, FRAME_DATA_MAX);
            ssize_t r = read(a->in_fd, a->in.p + a->in.len, FRAME_DATA_MAX);
            if (r > 0) {
                a->in.len += (size_t)r;
                if (process_input(a))
                    eof = 1;
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                eof = 1;
            }
        }
        sessions_sweep(a);
        flush_out(a);
        if (a->cfg->heartbeat_path && now_ms() >= a->next_heartbeat_ms) {
            heartbeat_write(a);
            a->next_heartbeat_ms = now_ms() + 1000;
        }
        if (a->shutdown) {
            drain_out(a);
            result = 1;
            break;
        }
        if (eof) {
            if (!a->reconnectable) /* nobody is listening on a disconnected port */
                drain_out(a);
            break;
        }
    }
    free(pf);
    free(ps);
    free(pw);
    return result;
}

