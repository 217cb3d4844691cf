#include "client.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ap_start(struct agentp *a, const char *bin, const char *const *extra)
{
    int in[2], out[2];
    memset(a, 0, sizeof *a);
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
        return -1;
    const char *argv[16] = {bin, "--stdio"};
    int n = 2;
    for (int i = 0; extra && extra[i] && n < 15; i++)
        argv[n++] = extra[i];
    a->pid = fork();
    if (a->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    a->to = in[1];
    a->from = out[0];
    return a->pid > 0 ? 0 : -1;
}

int ap_connect_unix(struct agentp *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->pid = -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < 200; i++) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            a->to = a->from = fd;
            return 0;
        }
        usleep(50000);
    }
    close(fd);
    return -1;
}

void ap_send_raw(struct agentp *a, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(a->to, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        b += w;
        n -= (size_t)w;
    }
}

void ap_send(struct agentp *a, enum mt t, uint32_t id, const struct buf *payload)
{
    struct buf f = {0};
    frame_append(&f, t, id, payload);
    ap_send_raw(a, f.p, f.len);
    buf_free(&f);
}

void ap_send_json(struct agentp *a, enum mt t, uint32_t id, const char *json)
{
    struct buf p = {0};
    char err[200];
    if (json_to_cbor(json, &p, err, sizeof err)) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, err);
        abort();
    }
    ap_send(a, t, id, &p);
    buf_free(&p);
}

void ap_send_data(struct agentp *a, enum mt t, uint32_t id, const void *data, size_t n)
{
    struct buf p = {0};
    cb_map(&p, 1);
    cb_str(&p, "data");
    cb_bytes(&p, data, n);
    ap_send(a, t, id, &p);
    buf_free(&p);
}

int ap_recv(struct agentp *a, struct rmsg *r, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    memset(r, 0, sizeof *r);
    for (;;) {
        uint32_t len;
        int fc = frame_check(a->in.p + a->head, a->in.len - a->head, &len);
        if (fc == FRAME_OK) {
            const uint8_t *f = a->in.p + a->head + 4;
            r->m.id = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
            r->m.flags = f[4];
            const char *kind;
            char err[300];
            r->ok = msg_decode(f + FRAME_HEADER, len - FRAME_HEADER, &r->m, &kind, err, sizeof err) == 0;
            if (!r->ok)
                fprintf(stderr, "agent sent an invalid message: %s: %s\n", kind, err);
            a->head += 4 + (size_t)len;
            return 1;
        }
        if (fc != FRAME_INCOMPLETE) {
            fprintf(stderr, "agent sent a bad frame header\n");
            return 0;
        }
        long long left = deadline - mono_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = a->from, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        /* only a partial frame is left to move; then read as much as the agent has queued */
        buf_consume(&a->in, a->head);
        a->head = 0;
        buf_reserve(&a->in, 1 << 20);
        ssize_t n = read(a->from, a->in.p + a->in.len, a->in.cap - a->in.len);
        if (n <= 0)
            return 0;
        a->in.len += (size_t)n;
    }
}

void rmsg_free(struct rmsg *r)
{
    msg_free(&r->m);
}

/* The wait status of the child pid once it exits, or -1 after timeout_ms. */
static int child_wait(pid_t pid, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    int st;
    while (mono_ms() < deadline) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        usleep(10000);
    }
    return -1;
}

int ap_wait(struct agentp *a, int timeout_ms)
{
    int st = child_wait(a->pid, timeout_ms);
    if (st >= 0)
        a->pid = -1;
    return st;
}

int child_wait_or_kill(pid_t pid, int timeout_ms)
{
    int st = child_wait(pid, timeout_ms);
    if (st < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return st;
}

void ap_kill(struct agentp *a)
{
    if (a->to >= 0)
        close(a->to);
    if (a->from >= 0 && a->from != a->to)
        close(a->from);
    a->to = a->from = -1;
    if (a->pid > 0) {
        kill(a->pid, SIGKILL);
        waitpid(a->pid, NULL, 0);
        a->pid = -1;
    }
    buf_free(&a->in);
}
