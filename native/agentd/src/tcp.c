/* TCP streams to guest-local destinations, relayed with bounded queues both ways. */
#include "agent.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void failed(struct agent *a, struct session *s, uint32_t id, const char *what, int err)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", what, err ? strerror(err) : "failed");
    struct buf p = {0};
    cb_map(&p, 1);
    cb_str(&p, "error");
    cb_str(&p, msg);
    send_msg(a, MT_TCP_FAILED, id, &p);
    buf_free(&p);
    if (s)
        s->done = 1;
}

/* Literal addresses pass through; localhost and /etc/hosts names map to their first address. */
static int local_address(const char *host, char *out, size_t n)
{
    struct in6_addr tmp;
    if (inet_pton(AF_INET, host, &tmp) == 1 || inet_pton(AF_INET6, host, &tmp) == 1) {
        snprintf(out, n, "%s", host);
        return 0;
    }
    FILE *f = fopen("/etc/hosts", "re");
    char line[512];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "#\n")] = 0;
        char *save = NULL, *ip = strtok_r(line, " \t", &save);
        for (char *name = ip ? strtok_r(NULL, " \t", &save) : NULL; ip && name; name = strtok_r(NULL, " \t", &save))
            if (!strcasecmp(name, host) && strlen(ip) < n) {
                snprintf(out, n, "%s", ip);
                found = 1;
                break;
            }
    }
    if (f)
        fclose(f);
    if (!found && !strcasecmp(host, "localhost")) {
        snprintf(out, n, "127.0.0.1");
        found = 1;
    }
    return found ? 0 : -1;
}

static struct session *tcp_session(struct agent *a, uint32_t id)
{
    struct session *s = session_find(a, id);
    return s && s->kind == S_TCP ? s : NULL;
}

void tcp_connect(struct agent *a, struct msg *m)
{
    struct fields f = {.map = m->payload.root};
    const char *host;
    uint64_t port;
    if (f_text(&f, "host", 1, 253, &host) || f_u64(&f, "port", 1, 65535, &port)) {
        failed(a, NULL, m->id, f.err, 0);
        return;
    }
    if (port == 0 || !*host) {
        failed(a, NULL, m->id, port == 0 ? "field port: must be 1..65535" : "field host: must not be empty", 0);
        return;
    }
    if (session_find(a, m->id)) {
        send_core_error(a, m->id, "invalid_session", "session id is already in use", m->tname);
        return;
    }
    char addr[64];
    /* Destinations are guest-local: literals, localhost or /etc/hosts. A DNS query would block the
     * one loop every session shares, so names are never sent to a resolver. */
    if (local_address(host, addr, sizeof addr)) {
        char msg[400];
        snprintf(msg, sizeof msg, "field host: '%.253s' must be an IP address, localhost or a name in /etc/hosts", host);
        failed(a, NULL, m->id, msg, 0);
        return;
    }
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        sl = sizeof *v6;
    } else {
        char msg[300];
        snprintf(msg, sizeof msg, "field host: /etc/hosts maps '%.200s' to an invalid address", host);
        failed(a, NULL, m->id, msg, 0);
        return;
    }
    struct session *s = session_new(a, S_TCP, m->id);
    if (!s) {
        failed(a, NULL, m->id, "too many sessions", 0);
        return;
    }
    s->u.tcp.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->u.tcp.fd < 0) {
        failed(a, s, m->id, "socket", errno);
        return;
    }
    int one = 1;
    setsockopt(s->u.tcp.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(s->u.tcp.fd, (struct sockaddr *)&ss, sl);
    if (rc && errno != EINPROGRESS) {
        failed(a, s, m->id, "connect", errno);
        return;
    }
    s->u.tcp.connecting = 1;
    s->u.tcp.deadline_ms = now_ms() + TCP_CONNECT_TIMEOUT_MS;
}

void tcp_check_timeout(struct agent *a, struct session *s, int64_t now)
{
    if (s->u.tcp.connecting && now >= s->u.tcp.deadline_ms)
        failed(a, s, s->id, "connect", ETIMEDOUT);
}

void tcp_on_writable(struct agent *a, struct session *s)
{
    if (s->u.tcp.connecting) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(s->u.tcp.fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            failed(a, s, s->id, "connect", err);
            return;
        }
        s->u.tcp.connecting = 0;
        send_msg(a, MT_TCP_CONNECTED, s->id, NULL); /* {} */
        activity(a);
    }
    if (s->u.tcp.q.len) {
        ssize_t w = send(s->u.tcp.fd, s->u.tcp.q.p, s->u.tcp.q.len, MSG_NOSIGNAL);
        if (w > 0)
            buf_consume(&s->u.tcp.q, (size_t)w);
        else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            failed(a, s, s->id, "write TCP stream", errno);
            return;
        }
    }
    if (!s->u.tcp.q.len && s->u.tcp.want_shutdown) {
        s->u.tcp.want_shutdown = 0;
        if (shutdown(s->u.tcp.fd, SHUT_WR))
            failed(a, s, s->id, "shutdown TCP stream", errno);
    }
}

void tcp_on_readable(struct agent *a, struct session *s)
{
    if (s->u.tcp.read_eof)
        return;
    uint8_t data[IO_CHUNK];
    ssize_t r = recv(s->u.tcp.fd, data, sizeof data, 0);
    if (r > 0) {
        send_data(a, MT_TCP_DATA, s->id, data, (size_t)r);
        a->tcp_bytes += (uint64_t)r;
        activity(a);
    } else if (r == 0) {
        /* the destination half-closed: tell the host, keep host->destination flowing */
        send_msg(a, MT_TCP_EOF, s->id, NULL); /* {} */
        s->u.tcp.read_eof = 1;
    } else if (errno != EAGAIN && errno != EINTR) {
        failed(a, s, s->id, "read TCP stream", errno);
    }
}

void tcp_data(struct agent *a, uint32_t id, const uint8_t *data, size_t n)
{
    struct session *s = tcp_session(a, id);
    if (!s) {
        failed(a, NULL, id, "unknown TCP session", 0);
        return;
    }
    if (s->u.tcp.q.len + n > SESSION_QUEUE_MAX) {
        /* the destination is not reading: fail this stream instead of stalling the others */
        failed(a, s, id, "TCP send queue is full (4 MiB): destination is not reading", 0);
        return;
    }
    buf_put(&s->u.tcp.q, data, n);
    a->tcp_bytes += n;
}

void tcp_eof(struct agent *a, struct msg *m)
{
    struct session *s = tcp_session(a, m->id);
    if (s)
        s->u.tcp.want_shutdown = 1;
}

void tcp_close(struct agent *a, struct msg *m)
{
    struct session *s = tcp_session(a, m->id);
    if (!s)
        return;
    send_msg(a, MT_TCP_CLOSED, m->id, NULL); /* {} */
    s->done = 1;
}

void tcp_close_session(struct session *s)
{
    if (s->u.tcp.fd >= 0)
        close(s->u.tcp.fd);
    s->u.tcp.fd = -1;
    buf_free(&s->u.tcp.q);
}
