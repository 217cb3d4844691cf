/* Protocol tests against a real agentd process over --stdio (and --listen): every message
 * family, failure kinds, error replies for malformed input, backpressure and heartbeat. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "json.h"
#include "vec.h"

#define T 20000 /* generous safety timeout (ms) for each reply: tests never assert on time */

static const char *bin, *vectors_dir;
static char tmpdir[256];

static struct buf J(const char *json)
{
    struct buf b = {0};
    char err[200];
    if (json_to_cbor(json, &b, err, sizeof err)) {
        fprintf(stderr, "bad test JSON %s: %s\n", json, err);
        abort();
    }
    return b;
}

/* Receives the next message; fails the test on timeout or EOF. */
static int recv1(struct agentp *a, struct rmsg *r)
{
    int rc = ap_recv(a, r, T);
    CHECK(rc == 1, "no message from the agent (rc %d)", rc);
    if (rc == 1)
        CHECK(r->ok, "agent sent a message that does not conform");
    return rc == 1 && r->ok;
}

static const struct cv *P(struct rmsg *r, const char *k) { return cv_get(r->m.payload.root, k); }

static void start(struct agentp *a, const char *const *extra)
{
    if (ap_start(a, bin, extra)) {
        perror("start agentd");
        exit(1);
    }
    struct rmsg r;
    if (recv1(a, &r)) {
        CHECK(r.m.type == MT_READY && r.m.id == 0, "first message is core.ready on id 0");
        const struct cv *ver = P(&r, "agent_version"), *b = P(&r, "boot_time_ns"), *rd = P(&r, "ready_time_ns");
        CHECK(ver && ver->type == CV_TEXT && ver->n > 0, "ready carries agent_version");
        CHECK(b && rd && rd->u >= b->u, "ready_time_ns >= boot_time_ns");
    }
    rmsg_free(&r);
}

static void ping_ok(struct agentp *a, uint32_t id)
{
    struct rmsg r;
    ap_send_json(a, MT_PING, id, "{}");
    for (;;) {
        if (!recv1(a, &r))
            return;
        if (r.m.id == id)
            break;
        rmsg_free(&r); /* output of other sessions may still be in flight */
    }
    CHECK(r.m.type == MT_PONG && (r.m.flags & FLAG_TERMINAL), "pong on id %u", id);
    rmsg_free(&r);
}

struct exec_result {
    int started, exited, failed;
    uint64_t pid;
    int64_t code, signal;
    struct buf out, err;
    size_t max_chunk; /* largest stdout/stderr data seen in one frame */
    char kind[64];
};

static void exec_collect(struct agentp *a, uint32_t id, struct exec_result *x)
{
    struct rmsg r;
    while (recv1(a, &r)) {
        if (r.m.id != id) {
            rmsg_free(&r);
            continue;
        }
        const struct cv *d = P(&r, "data");
        if (d && d->n > x->max_chunk)
            x->max_chunk = d->n;
        switch (r.m.type) {
        case MT_EXEC_STARTED: x->started = 1; x->pid = P(&r, "pid")->u; break;
        case MT_EXEC_STDOUT: buf_put(&x->out, d->s, d->n); break;
        case MT_EXEC_STDERR: buf_put(&x->err, d->s, d->n); break;
        case MT_EXEC_EXITED: {
            const struct cv *c = P(&r, "code"), *s = P(&r, "signal");
            x->exited = 1;
            x->code = c->type == CV_NEG ? -1 - (int64_t)c->u : (int64_t)c->u;
            x->signal = s ? (int64_t)s->u : 0;
            break;
        }
        case MT_EXEC_FAILED: {
            const struct cv *k = P(&r, "kind");
            x->failed = 1;
            snprintf(x->kind, sizeof x->kind, "%s", k->s);
            break;
        }
        default: break;
        }
        int done = r.m.flags & FLAG_TERMINAL;
        rmsg_free(&r);
        if (done)
            break;
    }
    buf_put(&x->out, "", 1);
    buf_put(&x->err, "", 1);
}

static void exec_free(struct exec_result *x)
{
    buf_free(&x->out);
    buf_free(&x->err);
}

static void run(struct agentp *a, uint32_t id, const char *req, const char *in, struct exec_result *x)
{
    memset(x, 0, sizeof *x);
    ap_send_json(a, MT_EXEC_REQUEST, id, req);
    if (in) {
        if (*in)
            ap_send_data(a, MT_EXEC_STDIN, id, in, strlen(in));
        ap_send_data(a, MT_EXEC_STDIN, id, "", 0);
    }
    exec_collect(a, id, x);
}

/* Sends an exec request for a process meant to keep running and checks that it started. */
static void exec_started(struct agentp *a, uint32_t id, const char *req, const char *what)
{
    struct rmsg r;
    ap_send_json(a, MT_EXEC_REQUEST, id, req);
    if (recv1(a, &r))
        CHECK(r.m.type == MT_EXEC_STARTED, "%s", what);
    rmsg_free(&r);
}

/* A TCP socket listening on 127.0.0.1 at a free port, which is put in *port. */
static int loopback_listener(unsigned *port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    bind(ls, (struct sockaddr *)&sa, sizeof sa);
    listen(ls, 1);
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return ls;
}

/* Runs req, which must fail to start with that kind. */
static void exec_fails(struct agentp *a, uint32_t id, const char *req, const char *kind, const char *what)
{
    struct exec_result x;
    run(a, id, req, NULL, &x);
    CHECK(x.failed && !strcmp(x.kind, kind), "%s (got %s)", what, x.kind);
    exec_free(&x);
}

/* Ends a connection with core.shutdown: the agent must exit 0, which under ASan also means
 * LeakSanitizer found nothing unreachable. */
static void finish(struct agentp *a, const char *what)
{
    struct rmsg r;
    ap_send_json(a, MT_SHUTDOWN, 0, "null");
    while (ap_recv(a, &r, T) == 1)
        rmsg_free(&r);
    int st = ap_wait(a, T);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: agent exits 0 after shutdown (status %d)", what, st);
    ap_kill(a);
}

/* Sends a frame with any flags and v; the payload is given as CBOR in hex. */
static void send_frame(struct agentp *a, uint32_t id, uint8_t flags, unsigned v, const char *t, const char *payload_hex)
{
    char json[200];
    snprintf(json, sizeof json, "{\"v\":%u,\"t\":\"%s\",\"p\":{\"$bytes\":\"%s\"}}", v, t, payload_hex);
    struct buf body = J(json);
    uint32_t len = (uint32_t)body.len + FRAME_HEADER;
    uint8_t h[9] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
                    (uint8_t)(id >> 24),  (uint8_t)(id >> 16),  (uint8_t)(id >> 8),  (uint8_t)id, flags};
    ap_send_raw(a, h, sizeof h);
    ap_send_raw(a, body.p, body.len);
    buf_free(&body);
}

/* The next message must be the pong for id: nothing was sent for the frames before it. */
static void next_is_pong(struct agentp *a, uint32_t id, const char *what)
{
    struct rmsg r;
    ap_send_json(a, MT_PING, id, "{}");
    if (recv1(a, &r))
        CHECK(r.m.type == MT_PONG && r.m.id == id, "%s: next message is the pong on %u (got %s on %u)", what, id,
              mt_name(r.m.type), r.m.id);
    rmsg_free(&r);
}

/* A frame whose flags are not its type's is answered with core.error invalid_flags on its id, whatever
 * its v and payload, and is not handled (decision 0430). */
static void flags_refused(struct agentp *a, uint32_t id, uint8_t flags, unsigned v, const char *t, const char *payload_hex,
                          uint8_t expected)
{
    struct rmsg r;
    send_frame(a, id, flags, v, t, payload_hex);
    if (recv1(a, &r)) {
        char msg[120];
        snprintf(msg, sizeof msg, "invalid flags for %s: got %u, expected %u", t, flags, expected);
        const struct cv *k = P(&r, "kind"), *m = P(&r, "message"), *o = P(&r, "offending_type");
        CHECK(r.m.type == MT_ERROR && r.m.id == id && r.m.flags == FLAG_TERMINAL, "%s flags %u v %u: core.error on %u",
              t, flags, v, id);
        CHECK(k && !strcmp(k->s, "invalid_flags"), "%s flags %u v %u: kind invalid_flags", t, flags, v);
        CHECK(m && !strcmp(m->s, msg), "%s flags %u v %u: message '%s'", t, flags, v, m ? m->s : "-");
        CHECK(o && !strcmp(o->s, t), "%s flags %u v %u: offending_type", t, flags, v);
    }
    rmsg_free(&r);
    next_is_pong(a, id + 1, t);
}

static void test_flags(void)
{
    struct agentp a;
    start(&a, NULL);
    flags_refused(&a, 1, FLAG_SESSION_START, 7, "core.ping", "a0", 0);
    flags_refused(&a, 3, FLAG_SESSION_START, 1, "core.ping", "a0", 0); /* microsandbox's agent exits here */
    flags_refused(&a, 5, FLAG_SESSION_START, 0, "core.ping", "a0", 0);
    flags_refused(&a, 7, FLAG_SESSION_START, 7, "core.ping", "ff", 0);  /* before the payload is decoded */
    flags_refused(&a, 9, 0, 7, "core.exec.request", "a163636d646474727565", FLAG_SESSION_START); /* {cmd:"true"} */
    flags_refused(&a, 11, FLAG_SESSION_START | FLAG_TERMINAL, 7, "core.exec.request", "a163636d646474727565",
                  FLAG_SESSION_START);
    flags_refused(&a, 13, 0, 7, "core.shutdown", "f6", FLAG_SHUTDOWN);
    flags_refused(&a, 15, FLAG_SHUTDOWN | FLAG_TERMINAL, 1, "core.shutdown", "f6", FLAG_SHUTDOWN);
    flags_refused(&a, 17, 0, 7, "core.pong", "a0", FLAG_TERMINAL);
    flags_refused(&a, 19, FLAG_TERMINAL, 7, "core.fs.request", "a0", FLAG_SESSION_START);
    /* a known type the agent has no handler for is ignored: no answer at all */
    send_frame(&a, 21, FLAG_TERMINAL, 7, "core.pong", "a0");
    send_frame(&a, 22, FLAG_TERMINAL, 7, "core.error", "a2646b696e646d696e76616c69645f666c616773676d6573736167656178");
    send_frame(&a, 23, 0, 7, "core.init.ack", "a0");
    next_is_pong(&a, 24, "agent-to-host types ignored");
    /* and the agent still serves everything: an exec, then a real shutdown */
    struct exec_result x = {0};
    run(&a, 25, "{\"cmd\":\"true\"}", NULL, &x);
    CHECK(x.exited && x.code == 0, "exec after refused frames");
    exec_free(&x);
    finish(&a, "test_flags");
}

static void test_core(void)
{
    struct agentp a;
    struct rmsg r;
    start(&a, NULL);
    ping_ok(&a, 1);
    ping_ok(&a, 0xfffffffe);
    uint64_t seq1 = 0;
    ap_send_json(&a, MT_TOUCH, 2, "{}");
    if (recv1(&a, &r)) {
        CHECK(r.m.type == MT_TOUCHED && r.m.id == 2, "touched");
        seq1 = P(&r, "activity_seq")->u;
    }
    rmsg_free(&r);
    ap_send_json(&a, MT_TOUCH, 3, "{}");
    if (recv1(&a, &r))
        CHECK(P(&r, "activity_seq")->u > seq1, "activity_seq advances");
    rmsg_free(&r);
    /* unknown types get core.error and the connection stays up */
    send_frame(&a, 9, 0, 7, "core.future.thing", "a0");
    if (recv1(&a, &r)) {
        CHECK(r.m.type == MT_ERROR && r.m.id == 9, "core.error for unknown type");
        CHECK(!strcmp(P(&r, "kind")->s, "unsupported_message_type"), "kind unsupported_message_type");
        CHECK(P(&r, "offending_type") && !strcmp(P(&r, "offending_type")->s, "core.future.thing"), "offending_type");
    }
    rmsg_free(&r);
    ping_ok(&a, 11);
    /* unknown optional fields are ignored */
    ap_send_json(&a, MT_PING, 12, "{\"future\":[1,2,3]}");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_PONG, "unknown fields ignored");
    rmsg_free(&r);
    /* shutdown: sync, then exit 0 when not PID 1 */
    ap_send_json(&a, MT_SHUTDOWN, 0, "null");
    int rc = ap_recv(&a, &r, T);
    CHECK(rc == 0, "connection closes after shutdown");
    int st = ap_wait(&a, T);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "agent exits 0 after core.shutdown");
    ap_kill(&a);
}

/* Message-level error vectors get core.error with the vector's kind; the connection survives. */
static void test_error_vectors(void)
{
    struct vector *v;
    int n = vectors_load(vectors_dir, &v);
    CHECK(n > 0, "vectors available in %s", vectors_dir);
    struct agentp a;
    start(&a, NULL);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].expect, "error") || !strncmp(v[i].mode, "frame", 5) || !strcmp(v[i].mode, "truncated"))
            continue;
        ap_send_raw(&a, v[i].frame.p, v[i].frame.len);
        uint32_t id = (uint32_t)v[i].frame.p[4] << 24 | (uint32_t)v[i].frame.p[5] << 16 | (uint32_t)v[i].frame.p[6] << 8 | v[i].frame.p[7];
        struct rmsg r;
        if (recv1(&a, &r)) {
            CHECK(r.m.type == MT_ERROR && r.m.id == id, "%s: core.error on id %u", v[i].name, id);
            const struct cv *k = P(&r, "kind");
            CHECK(k && !strcmp(k->s, v[i].mode), "%s: kind %s, expected %s", v[i].name, k ? k->s : "-", v[i].mode);
        }
        rmsg_free(&r);
        ping_ok(&a, 1000 + (uint32_t)i);
        seen++;
    }
    CHECK(seen >= 5, "message-level error vectors exercised (%d)", seen);
    /* decode-only vectors that a host may send are served */
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].mode, "decode-only") || !v[i].decoded)
            continue;
        if (!strstr(v[i].decoded, "\"t\":\"core.ping\"") && !strstr(v[i].decoded, "\"t\":\"core.exec.request\""))
            continue;
        ap_send_raw(&a, v[i].frame.p, v[i].frame.len);
        struct rmsg r;
        int terminal = 0;
        while (!terminal && recv1(&a, &r)) {
            CHECK(r.m.type != MT_ERROR, "%s: served without core.error", v[i].name);
            terminal = r.m.flags & FLAG_TERMINAL;
            if (r.m.type == MT_EXEC_EXITED)
                CHECK(P(&r, "code")->u == 0, "%s: minimal exec of 'true' exits 0", v[i].name);
            rmsg_free(&r);
        }
    }
    ap_kill(&a);
    /* frame-level errors: the agent reports, then drops the connection instead of resyncing */
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].expect, "error") || strncmp(v[i].mode, "frame", 5))
            continue;
        start(&a, NULL);
        ap_send_raw(&a, v[i].frame.p, v[i].frame.len);
        struct rmsg r;
        int rc = ap_recv(&a, &r, T);
        if (rc == 1) {
            CHECK(r.m.type == MT_ERROR && !strcmp(P(&r, "kind")->s, "malformed_message"), "%s: reported", v[i].name);
            rmsg_free(&r);
            rc = ap_recv(&a, &r, T);
        }
        CHECK(rc == 0, "%s: connection dropped", v[i].name);
        int st = ap_wait(&a, T);
        CHECK(st >= 0 && WIFEXITED(st), "%s: agent exits cleanly", v[i].name);
        ap_kill(&a);
    }
    vectors_free(v, n);
}

/* Random bodies inside well-formed frames: never a crash, always an answer. */
static void test_garbage(void)
{
    struct agentp a;
    start(&a, NULL);
    unsigned seed = 12345;
    for (uint32_t i = 0; i < 3000; i++) {
        uint8_t f[80];
        size_t n = 1 + (seed = seed * 1103515245 + 12345) % 70;
        for (size_t k = 0; k < n; k++)
            f[9 + k % 70] = (uint8_t)((seed = seed * 1103515245 + 12345) >> 16);
        /* half of them start like an envelope so the decoder goes deeper */
        if (i % 2 && n > 8)
            memcpy(f + 9, "\xa3\x61v\x07\x61t", 6);
        uint32_t len = (uint32_t)n + 5;
        uint8_t h[9] = {0, 0, 0, (uint8_t)len, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, (uint8_t)(i % 8)};
        memcpy(f, h, 9);
        ap_send_raw(&a, f, 9 + n);
        struct rmsg r;
        if (!recv1(&a, &r))
            break;
        CHECK(r.m.id == i, "garbage frame %u answered on its id", i);
        rmsg_free(&r);
    }
    ping_ok(&a, 99999);
    finish(&a, "test_garbage");
}

static void test_exec(void)
{
    struct agentp a;
    struct exec_result x;
    start(&a, NULL);
    run(&a, 1, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo out; echo err >&2; exit 3\"]}", NULL, &x);
    CHECK(x.started && x.pid > 0, "started with a pid");
    CHECK(x.exited && x.code == 3, "exit code 3 (got %lld)", (long long)x.code);
    CHECK(!strcmp((char *)x.out.p, "out\n") && !strcmp((char *)x.err.p, "err\n"), "stdout and stderr separated");
    exec_free(&x);
    run(&a, 2, "{\"cmd\":\"cat\"}", "hello stdin", &x);
    CHECK(x.exited && x.code == 0 && !strcmp((char *)x.out.p, "hello stdin"), "stdin then EOF reaches cat");
    exec_free(&x);
    run(&a, 3, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo $FOO; pwd\"],\"env\":[\"FOO=bar baz\"],\"cwd\":\"/tmp\"}", NULL, &x);
    CHECK(!strcmp((char *)x.out.p, "bar baz\n/tmp\n"), "env and cwd applied (got %s)", (char *)x.out.p);
    exec_free(&x);
    run(&a, 4, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"ulimit -n\"],\"rlimits\":[{\"resource\":\"nofile\",\"soft\":64,\"hard\":64}]}", NULL, &x);
    CHECK(!strcmp((char *)x.out.p, "64\n"), "rlimit nofile applied (got %s)", (char *)x.out.p);
    exec_free(&x);
    /* failure kinds */
    exec_fails(&a, 5, "{\"cmd\":\"/nonexistent/prog\"}", "not_found", "not_found");
    exec_fails(&a, 6, "{\"cmd\":\"true\",\"cwd\":\"/nonexistent-dir\"}", "bad_cwd", "bad_cwd");
    char path[512];
    snprintf(path, sizeof path, "%s/noexec", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("#!/bin/sh\necho no\n", f);
    fclose(f);
    chmod(path, 0644);
    char req[1024];
    snprintf(req, sizeof req, "{\"cmd\":\"%s\"}", path);
    /* exec needs an execute bit even for root */
    exec_fails(&a, 7, req, "permission_denied", "permission_denied");
    exec_fails(&a, 8, "{\"cmd\":\"true\",\"user\":\"no-such-user-xyz\"}", "user_setup_failed", "user_setup_failed");
    exec_fails(&a, 9, "{\"cmd\":\"true\",\"rlimits\":[{\"resource\":\"bogus\",\"soft\":1,\"hard\":1}]}", "bad_args", "bad_args for unknown rlimit");
    exec_fails(&a, 10, "{\"cmd\":\"true\",\"rlimits\":[{\"resource\":\"nofile\",\"soft\":2000000000,\"hard\":2000000000}]}", "resource_limit", "resource_limit when the limit cannot be raised");
    exec_fails(&a, 11, "{\"cmd\":\"true\",\"env\":[\"NOEQUALS\"]}", "bad_args", "bad_args for env without '='");
    /* a bare name is looked up in the request's PATH (vfork: agentd's own environment stays as it is) */
    char pathbin[300];
    snprintf(pathbin, sizeof pathbin, "%s/pathbin", tmpdir);
    mkdir(pathbin, 0755);
    snprintf(path, sizeof path, "%s/msb-path-tool", pathbin);
    f = fopen(path, "w");
    fputs("#!/bin/sh\necho \"found $0\"\n", f);
    fclose(f);
    chmod(path, 0755);
    snprintf(req, sizeof req, "{\"cmd\":\"msb-path-tool\",\"env\":[\"PATH=/nonexistent:%s\"]}", pathbin);
    memset(&x, 0, sizeof x);
    run(&a, 700, req, NULL, &x);
    char want[600];
    snprintf(want, sizeof want, "found %s\n", path);
    CHECK(x.exited && x.code == 0 && x.out.p && !strcmp((char *)x.out.p, want), "request PATH searched (got %s)",
          x.out.p ? (char *)x.out.p : "nothing");
    exec_free(&x);
    exec_fails(&a, 701, "{\"cmd\":\"msb-path-tool\",\"env\":[\"PATH=/nonexistent\"]}", "not_found",
               "not_found outside the request's PATH");
    /* a signal ends the process: 128+n plus the signal */
    memset(&x, 0, sizeof x);
    exec_started(&a, 12, "{\"cmd\":\"sleep\",\"args\":[\"60\"]}", "sleep started");
    ap_send_json(&a, MT_EXEC_SIGNAL, 12, "{\"signal\":15}");
    exec_collect(&a, 12, &x);
    CHECK(x.exited && x.code == 143 && x.signal == 15, "SIGTERM: code 143 signal 15 (got %lld/%lld)", (long long)x.code, (long long)x.signal);
    exec_free(&x);
    /* a background child keeping stdout open does not hold back `exited` */
    run(&a, 13, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"sleep 60 & echo parent-done\"]}", NULL, &x);
    CHECK(x.exited && x.code == 0 && strstr((char *)x.out.p, "parent-done"), "exited reported despite background child");
    exec_free(&x);
    /* a duplicate session id is refused */
    struct rmsg r;
    exec_started(&a, 14, "{\"cmd\":\"sleep\",\"args\":[\"60\"]}", "second sleep started");
    ap_send_json(&a, MT_EXEC_REQUEST, 14, "{\"cmd\":\"true\"}");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_ERROR && !strcmp(P(&r, "kind")->s, "invalid_session"), "duplicate id refused");
    rmsg_free(&r);
    ap_send_json(&a, MT_EXEC_SIGNAL, 14, "{\"signal\":9}");
    exec_collect(&a, 14, &x);
    CHECK(x.exited && x.signal == 9, "SIGKILL reported");
    exec_free(&x);
    /* pty: a terminal, resizable */
    memset(&x, 0, sizeof x);
    ap_send_json(&a, MT_EXEC_REQUEST, 15, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"test -t 0 && echo is-tty; read line; stty size\"],\"tty\":true,\"rows\":30,\"cols\":90}");
    ap_send_json(&a, MT_EXEC_RESIZE, 15, "{\"rows\":40,\"cols\":100}");
    ap_send_data(&a, MT_EXEC_STDIN, 15, "go\n", 3);
    exec_collect(&a, 15, &x);
    CHECK(x.exited && x.code == 0, "tty exec exits 0");
    CHECK(strstr((char *)x.out.p, "is-tty") && strstr((char *)x.out.p, "40 100"), "tty and resize seen (got %s)", (char *)x.out.p);
    exec_free(&x);
    /* user switching needs root */
    if (geteuid() == 0) {
        run(&a, 16, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"id -u; id -g; echo $HOME\"],\"user\":\"nobody\"}", NULL, &x);
        CHECK(x.exited && !strncmp((char *)x.out.p, "65534\n", 6), "user nobody (got %s)", (char *)x.out.p);
        exec_free(&x);
        run(&a, 17, "{\"cmd\":\"id\",\"args\":[\"-u\"],\"user\":\"1234:1234\"}", NULL, &x);
        CHECK(x.exited && !strcmp((char *)x.out.p, "1234\n"), "uid:gid form (got %s)", (char *)x.out.p);
        exec_free(&x);
    } else
        fprintf(stderr, "SKIP user switching: needs root\n");
    /* a relay client going away ends its sessions: the id is free again */
    exec_started(&a, 40, "{\"cmd\":\"sleep\",\"args\":[\"60\"]}", "sleep for the relay client started");
    ap_send_json(&a, MT_RELAY_CLIENT_DISCONNECTED, 0, "{\"id_start\":33,\"id_end_exclusive\":48}");
    run(&a, 40, "{\"cmd\":\"true\"}", NULL, &x);
    CHECK(x.started && x.exited && x.code == 0, "session id reusable after relay.client.disconnected");
    exec_free(&x);
    /* clock sync is accepted (and ignored outside the guest) */
    ap_send_json(&a, MT_CLOCK_SYNC, 0, "{\"unix_time_nanos\":1764061200123456789}");
    ping_ok(&a, 18);
    finish(&a, "test_exec");
}

/* seq 1 n, as text; eol is "\n" or, through a terminal, "\r\n" */
static void seq_text(struct buf *b, int n, const char *eol)
{
    char line[32];
    for (int i = 1; i <= n; i++)
        buf_put(b, line, (size_t)snprintf(line, sizeof line, "%d%s", i, eol));
    buf_put(b, "", 1);
}

/* Bulk output arrives intact and in bounded frames, from pipes and from a pty; a session streaming
 * without end does not hold back a small one. */
static void test_streaming(void)
{
    struct agentp a;
    struct exec_result x;
    struct buf want = {0};
    start(&a, NULL);
    seq_text(&want, 300000, "\n");
    run(&a, 1, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"seq 1 300000; seq 1 300000 >&2\"]}", NULL, &x);
    CHECK(x.exited && x.code == 0, "seq exits 0");
    CHECK(x.out.len == want.len && !memcmp(x.out.p, want.p, want.len), "2 MB of stdout intact (%zu bytes)", x.out.len);
    CHECK(x.err.len == want.len && !memcmp(x.err.p, want.p, want.len), "2 MB of stderr intact (%zu bytes)", x.err.len);
    CHECK(x.max_chunk > 0 && x.max_chunk <= FRAME_DATA_MAX, "chunks within 256 KiB (largest %zu)", x.max_chunk);
    exec_free(&x);
    buf_free(&want);
    seq_text(&want, 50000, "\r\n");
    run(&a, 2, "{\"cmd\":\"seq\",\"args\":[\"1\",\"50000\"],\"tty\":true}", NULL, &x);
    CHECK(x.exited && x.code == 0, "seq on a tty exits 0");
    CHECK(x.out.len == want.len && !memcmp(x.out.p, want.p, want.len), "tty output intact (%zu bytes)", x.out.len);
    exec_free(&x);
    buf_free(&want);
    /* fairness: an endless stream (id 3) and a small exec (id 4) share the connection */
    ap_send_json(&a, MT_EXEC_REQUEST, 3, "{\"cmd\":\"cat\",\"args\":[\"/dev/zero\"]}");
    struct rmsg r;
    long long streamed = 0;
    int stream_ended = 0;
    while (streamed < 8 * 1048576 && !stream_ended && recv1(&a, &r)) {
        if (r.m.id == 3 && r.m.type == MT_EXEC_STDOUT)
            streamed += (long long)P(&r, "data")->n;
        stream_ended = r.m.id == 3 && (r.m.flags & FLAG_TERMINAL);
        rmsg_free(&r);
    }
    memset(&x, 0, sizeof x);
    ap_send_json(&a, MT_EXEC_REQUEST, 4, "{\"cmd\":\"echo\",\"args\":[\"small\"]}");
    while (!x.exited && !stream_ended && recv1(&a, &r)) {
        if (r.m.id == 4 && r.m.type == MT_EXEC_STDOUT)
            buf_put(&x.out, P(&r, "data")->s, P(&r, "data")->n);
        x.exited = r.m.id == 4 && r.m.type == MT_EXEC_EXITED;
        stream_ended = r.m.id == 3 && (r.m.flags & FLAG_TERMINAL);
        rmsg_free(&r);
    }
    buf_put(&x.out, "", 1);
    CHECK(x.exited && !stream_ended && !strcmp((char *)x.out.p, "small\n"),
          "a small exec completes while another session streams without end");
    exec_free(&x);
    ap_send_json(&a, MT_EXEC_SIGNAL, 3, "{\"signal\":9}");
    memset(&x, 0, sizeof x);
    exec_collect(&a, 3, &x);
    CHECK(x.exited && x.signal == 9, "the endless stream ends with SIGKILL");
    exec_free(&x);
    ping_ok(&a, 5);
    finish(&a, "test_streaming");
}

/* A process that never reads stdin must not stall other sessions. */
static void test_backpressure(void)
{
    struct agentp a;
    struct rmsg r;
    start(&a, NULL);
    exec_started(&a, 1, "{\"cmd\":\"sleep\",\"args\":[\"60\"]}", "started");
    static uint8_t chunk[512 * 1024];
    int stdin_errors = 0;
    for (int i = 0; i < 12; i++)
        ap_send_data(&a, MT_EXEC_STDIN, 1, chunk, sizeof chunk);
    /* a ping is answered while the stuck session's queue is full */
    ap_send_json(&a, MT_PING, 2, "{}");
    int pong = 0;
    while (!pong && recv1(&a, &r)) {
        if (r.m.type == MT_EXEC_STDIN_ERROR && r.m.id == 1)
            stdin_errors++;
        pong = r.m.type == MT_PONG && r.m.id == 2;
        rmsg_free(&r);
    }
    CHECK(pong, "pong while a session is stuck");
    CHECK(stdin_errors > 0, "stdin beyond the 4 MiB queue is refused with exec.stdin.error");
    /* a slow host: output still queued in the pipe when the process exits is not lost */
    ap_send_json(&a, MT_EXEC_REQUEST, 5, "{\"cmd\":\"head\",\"args\":[\"-c\",\"16777216\",\"/dev/zero\"]}");
    long long total = 0;
    int exited = 0, stalled = 0;
    usleep(300000);
    while (!exited && recv1(&a, &r)) {
        if (r.m.id == 5 && r.m.type == MT_EXEC_STDOUT)
            total += (long long)P(&r, "data")->n;
        exited = r.m.id == 5 && r.m.type == MT_EXEC_EXITED;
        rmsg_free(&r);
        if (total >= 14 * 1048576 && !stalled) {
            usleep(500000); /* the host stalls around the moment the process exits */
            stalled = 1;
        }
    }
    CHECK(exited && total == 16777216, "all 16 MiB delivered to a slow reader (got %lld)", total);
    /* a TCP destination that never reads */
    unsigned port;
    int ls = loopback_listener(&port);
    char req[128];
    snprintf(req, sizeof req, "{\"host\":\"127.0.0.1\",\"port\":%u}", port);
    ap_send_json(&a, MT_TCP_CONNECT, 3, req);
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_CONNECTED, "connected to the stuck destination");
    rmsg_free(&r);
    int failed = 0;
    for (int i = 0; i < 40 && !failed; i++) {
        ap_send_data(&a, MT_TCP_DATA, 3, chunk, sizeof chunk);
        while (ap_recv(&a, &r, 50) == 1) {
            if (r.m.type == MT_TCP_FAILED && r.m.id == 3)
                failed = 1;
            rmsg_free(&r);
        }
    }
    CHECK(failed, "a destination that never reads fails its stream (bounded queue)");
    ping_ok(&a, 4);
    close(ls);
    finish(&a, "test_backpressure");
}

/* Collects one exec's stdout bytes until its terminal message or (stop_ms > 0) until no frame of
 * it came for stop_ms; returns the bytes, *exited set when exited arrived. */
static long long collect_stdout(struct agentp *a, uint32_t id, int stop_ms, int *exited)
{
    struct rmsg r;
    long long total = 0;
    int rc;
    *exited = 0;
    while ((rc = ap_recv(a, &r, stop_ms > 0 ? stop_ms : T)) == 1) {
        if (r.m.id == id && r.m.type == MT_EXEC_STDOUT)
            total += (long long)P(&r, "data")->n;
        int end = r.m.id == id && (r.m.flags & FLAG_TERMINAL);
        if (end)
            *exited = r.m.type == MT_EXEC_EXITED;
        rmsg_free(&r);
        if (end)
            break;
    }
    CHECK(rc == 1 || stop_ms > 0, "exec %u: no message from the agent (rc %d)", id, rc);
    return total;
}

/* msb.flow.pause/resume (decision 0230): a paused session's producer blocks, the others go on,
 * and output owed at exit is delivered after any pause (0231). */
static void test_flow(void)
{
    struct agentp a;
    struct rmsg r;
    if (ap_start(&a, bin, NULL)) {
        perror("start agentd");
        exit(1);
    }
    if (recv1(&a, &r)) {
        const struct cv *fc = P(&r, "flow_control");
        CHECK(r.m.type == MT_READY && fc && fc->type == CV_BOOL && fc->u == 1, "ready announces flow_control");
    }
    rmsg_free(&r);
    /* 8 MiB: far more than the pipe and the agent's backlog hold */
    ap_send_json(&a, MT_EXEC_REQUEST, 1, "{\"cmd\":\"head\",\"args\":[\"-c\",\"8388608\",\"/dev/zero\"]}");
    ap_send_json(&a, MT_FLOW_PAUSE, 1, "{}");
    int exited = 0;
    long long before = collect_stdout(&a, 1, 500, &exited);
    CHECK(!exited && before < 8388608, "a paused exec sends nothing more (%lld bytes before the pause)", before);
    struct exec_result x;
    run(&a, 2, "{\"cmd\":\"echo\",\"args\":[\"second\"]}", NULL, &x);
    CHECK(x.exited && x.code == 0 && strcmp((char *)x.out.p, "second\n") == 0,
          "a second exec completes with its output while the first is paused (out '%s')", (char *)x.out.p);
    exec_free(&x);
    long long during = collect_stdout(&a, 1, 300, &exited);
    CHECK(!exited && during == 0, "still paused: no output (%lld)", during);
    ap_send_json(&a, MT_FLOW_RESUME, 1, "{}");
    long long after = collect_stdout(&a, 1, 0, &exited);
    CHECK(exited && before + after == 8388608, "after resume everything arrives (%lld + %lld)", before, after);
    /* exits while paused with its output still in the pipe: exited only after all of it, however
     * long the pause (well past the 100 ms drain grace) */
    ap_send_json(&a, MT_EXEC_REQUEST, 3, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"head -c 600000 /dev/zero; echo tail\"]}");
    ap_send_json(&a, MT_FLOW_PAUSE, 3, "{}");
    before = collect_stdout(&a, 3, 1500, &exited);
    CHECK(!exited, "no exited while output is owed and the session is paused (%lld before)", before);
    ap_send_json(&a, MT_FLOW_RESUME, 3, "{}");
    after = collect_stdout(&a, 3, 0, &exited);
    CHECK(exited && before + after == 600005, "owed output delivered before exited (%lld + %lld)", before, after);
    /* pause/resume of an id that ended (or never was) is harmless */
    ap_send_json(&a, MT_FLOW_PAUSE, 3, "{}");
    ap_send_json(&a, MT_FLOW_RESUME, 99, "{}");
    ping_ok(&a, 4);
    finish(&a, "test_flow");
}

/* The relay's fence (decision 0312): a ping sent right behind a pause is answered after every frame of the
 * paused session that the agent produced before applying the pause, and no output of it follows the pong
 * until the resume. The relay counts output after the pong as misbehaviour and what came before as in flight. */
static void test_flow_fence(void)
{
    const long long size = 16LL * 1024 * 1024;
    const uint32_t fence = 0xfffffffeu;
    struct agentp a;
    struct rmsg r;
    start(&a, NULL);
    ap_send_json(&a, MT_EXEC_REQUEST, 1, "{\"cmd\":\"head\",\"args\":[\"-c\",\"16777216\",\"/dev/zero\"]}");
    long long before = 0;
    while (before < 3 * 1024 * 1024 && recv1(&a, &r)) { /* streaming at full speed when the pause comes */
        if (r.m.id == 1 && r.m.type == MT_EXEC_STDOUT)
            before += (long long)P(&r, "data")->n;
        rmsg_free(&r);
    }
    ap_send_json(&a, MT_FLOW_PAUSE, 1, "{}");
    ap_send_json(&a, MT_PING, fence, "{}");
    int pong = 0, ended = 0;
    while (!pong && !ended && recv1(&a, &r)) {
        if (r.m.id == 1 && r.m.type == MT_EXEC_STDOUT)
            before += (long long)P(&r, "data")->n;
        pong = r.m.id == fence && r.m.type == MT_PONG;
        ended = r.m.id == 1 && (r.m.flags & FLAG_TERMINAL);
        rmsg_free(&r);
    }
    CHECK(pong && !ended && before < size, "the fence is answered while the session is paused (%lld before)", before);
    int exited = 0;
    long long after_pong = collect_stdout(&a, 1, 500, &exited);
    CHECK(!exited && after_pong == 0, "no output of the paused session follows the fence's pong (%lld)", after_pong);
    ap_send_json(&a, MT_FLOW_RESUME, 1, "{}");
    long long rest = collect_stdout(&a, 1, 0, &exited);
    CHECK(exited && before + rest == size, "after resume the rest arrives (%lld + %lld)", before, rest);
    finish(&a, "test_flow_fence");
}

static void fs_req(struct agentp *a, uint32_t id, const char *op, struct rmsg *r)
{
    ap_send_json(a, MT_FS_REQUEST, id, op);
    recv1(a, r);
}

static int fs_ok(struct rmsg *r)
{
    const struct cv *ok = P(r, "ok");
    return r->m.type == MT_FS_RESPONSE && ok && ok->u == 1;
}

static const struct cv *fs_data_of(struct rmsg *r, const char *variant)
{
    return cv_get(P(r, "data"), variant);
}

static void test_fs(void)
{
    struct agentp a;
    struct rmsg r;
    char op[2048], dir[512], file[600];
    start(&a, NULL);
    snprintf(dir, sizeof dir, "%s/fs/a/b", tmpdir);
    snprintf(op, sizeof op, "{\"op\":{\"Mkdir\":{\"path\":\"%s\",\"mode\":448}}}", dir);
    fs_req(&a, 1, op, &r);
    CHECK(fs_ok(&r), "mkdir -p");
    rmsg_free(&r);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "directory created with mode");
    /* write a file through a handle, streaming 1 MiB + 1 in chunks */
    snprintf(file, sizeof file, "%s/data.bin", dir);
    snprintf(op, sizeof op, "{\"op\":{\"OpenFile\":{\"path\":\"%s\",\"options\":{\"read\":false,\"write\":true,\"append\":false,\"create\":true,\"truncate\":true,\"create_new\":false,\"mode\":420}}}}", file);
    fs_req(&a, 2, op, &r);
    CHECK(fs_ok(&r), "open for writing");
    const struct cv *h = fs_data_of(&r, "Handle");
    uint64_t wh = h ? h->u : 0;
    rmsg_free(&r);
    size_t total = 1024 * 1024 + 1;
    uint8_t *content = malloc(total);
    for (size_t i = 0; i < total; i++)
        content[i] = (uint8_t)(i * 7 + 3);
    snprintf(op, sizeof op, "{\"op\":{\"Write\":{\"handle\":%llu,\"offset\":0,\"len\":%zu}}}", (unsigned long long)wh, total);
    ap_send_json(&a, MT_FS_REQUEST, 3, op);
    for (size_t off = 0; off < total; off += 300000)
        ap_send_data(&a, MT_FS_DATA, 3, content + off, total - off < 300000 ? total - off : 300000);
    ap_send_data(&a, MT_FS_DATA, 3, "", 0);
    if (recv1(&a, &r))
        CHECK(fs_ok(&r) && r.m.id == 3, "write stream completes");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"CloseHandle\":{\"handle\":%llu}}}", (unsigned long long)wh);
    fs_req(&a, 4, op, &r);
    CHECK(fs_ok(&r), "close");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Stat\":{\"path\":\"%s\",\"follow_symlink\":true}}}", file);
    fs_req(&a, 5, op, &r);
    const struct cv *sti = fs_data_of(&r, "Stat");
    CHECK(fs_ok(&r) && sti && cv_get(sti, "size")->u == total && !strcmp(cv_get(sti, "kind")->s, "file"), "stat size and kind");
    CHECK(sti && (cv_get(sti, "mode")->u & 0777) == 0644, "file mode from open options");
    rmsg_free(&r);
    /* read it back as a stream of chunks ending with an empty chunk, then the response */
    snprintf(op, sizeof op, "{\"op\":{\"OpenFile\":{\"path\":\"%s\",\"options\":{\"read\":true,\"write\":false,\"append\":false,\"create\":false,\"truncate\":false,\"create_new\":false,\"mode\":null}}}}", file);
    fs_req(&a, 6, op, &r);
    h = fs_data_of(&r, "Handle");
    uint64_t rh = h ? h->u : 0;
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Read\":{\"handle\":%llu,\"offset\":0,\"len\":null}}}", (unsigned long long)rh);
    ap_send_json(&a, MT_FS_REQUEST, 7, op);
    struct buf got = {0};
    int chunks = 0, empty_seen = 0, resp_ok = 0;
    while (recv1(&a, &r)) {
        if (r.m.type == MT_FS_DATA) {
            const struct cv *d = P(&r, "data");
            if (d->n == 0)
                empty_seen = 1;
            buf_put(&got, d->s, d->n);
            chunks++;
        }
        int term = r.m.flags & FLAG_TERMINAL;
        if (term)
            resp_ok = fs_ok(&r);
        rmsg_free(&r);
        if (term)
            break;
    }
    CHECK(resp_ok && empty_seen && chunks > 2, "read stream: chunks, empty chunk, ok response");
    CHECK(got.len == total && !memcmp(got.p, content, total), "read content equals written content");
    buf_free(&got);
    /* ranged read */
    snprintf(op, sizeof op, "{\"op\":{\"Read\":{\"handle\":%llu,\"offset\":10,\"len\":5}}}", (unsigned long long)rh);
    ap_send_json(&a, MT_FS_REQUEST, 8, op);
    while (recv1(&a, &r)) {
        if (r.m.type == MT_FS_DATA)
            buf_put(&got, P(&r, "data")->s, P(&r, "data")->n);
        int term = r.m.flags & FLAG_TERMINAL;
        rmsg_free(&r);
        if (term)
            break;
    }
    CHECK(got.len == 5 && !memcmp(got.p, content + 10, 5), "ranged read");
    buf_free(&got);
    free(content);
    /* writing through a read-only handle is refused */
    snprintf(op, sizeof op, "{\"op\":{\"Write\":{\"handle\":%llu,\"offset\":0,\"len\":null}}}", (unsigned long long)rh);
    fs_req(&a, 9, op, &r);
    CHECK(r.m.type == MT_FS_RESPONSE && !fs_ok(&r), "write on a read handle refused");
    rmsg_free(&r);
    /* list, rename, copy, symlink, readlink, realpath, setstat */
    snprintf(op, sizeof op, "{\"op\":{\"List\":{\"path\":\"%s\"}}}", dir);
    fs_req(&a, 10, op, &r);
    const struct cv *l = fs_data_of(&r, "List");
    CHECK(fs_ok(&r) && l && l->n == 1 && !strcmp(cv_get(&l->kids[0], "path")->s, file), "list one entry with full path");
    rmsg_free(&r);
    char f2[700], f3[700], ln[700];
    snprintf(f2, sizeof f2, "%s/renamed.bin", dir);
    snprintf(f3, sizeof f3, "%s/copy.bin", dir);
    snprintf(ln, sizeof ln, "%s/link", dir);
    snprintf(op, sizeof op, "{\"op\":{\"Rename\":{\"src\":\"%s\",\"dst\":\"%s\"}}}", file, f2);
    fs_req(&a, 11, op, &r);
    CHECK(fs_ok(&r) && access(f2, F_OK) == 0 && access(file, F_OK) != 0, "rename");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Copy\":{\"src\":\"%s\",\"dst\":\"%s\"}}}", f2, f3);
    fs_req(&a, 12, op, &r);
    CHECK(fs_ok(&r) && stat(f3, &st) == 0 && (size_t)st.st_size == total, "copy");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Symlink\":{\"target\":\"copy.bin\",\"link_path\":\"%s\"}}}", ln);
    fs_req(&a, 13, op, &r);
    CHECK(fs_ok(&r), "symlink");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"ReadLink\":{\"path\":\"%s\"}}}", ln);
    fs_req(&a, 14, op, &r);
    CHECK(fs_ok(&r) && !strcmp(fs_data_of(&r, "Path")->s, "copy.bin"), "readlink");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"RealPath\":{\"path\":\"%s/../b/link\"}}}", dir);
    fs_req(&a, 15, op, &r);
    char real[PATH_MAX];
    CHECK(fs_ok(&r) && realpath(f3, real) && !strcmp(fs_data_of(&r, "Path")->s, real), "realpath resolves");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Stat\":{\"path\":\"%s\",\"follow_symlink\":false}}}", ln);
    fs_req(&a, 16, op, &r);
    CHECK(fs_ok(&r) && !strcmp(cv_get(fs_data_of(&r, "Stat"), "kind")->s, "symlink"), "lstat sees a symlink");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"SetStat\":{\"path\":\"%s\",\"follow_symlink\":true,\"attrs\":{\"mode\":384,\"uid\":null,\"gid\":null,\"size\":100,\"atime\":1000000000,\"mtime\":1500000000}}}}", f3);
    fs_req(&a, 17, op, &r);
    CHECK(fs_ok(&r) && stat(f3, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 100 && st.st_mtime == 1500000000, "setstat mode, size, times");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"Remove\":{\"path\":\"%s\"}}}", f2);
    fs_req(&a, 18, op, &r);
    CHECK(fs_ok(&r) && access(f2, F_OK) != 0, "remove");
    rmsg_free(&r);
    /* directory handles */
    snprintf(op, sizeof op, "{\"op\":{\"OpenDir\":{\"path\":\"%s\"}}}", dir);
    fs_req(&a, 19, op, &r);
    h = fs_data_of(&r, "Handle");
    uint64_t dh = h ? h->u : 0;
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"ReadDir\":{\"handle\":%llu,\"limit\":1}}}", (unsigned long long)dh);
    fs_req(&a, 20, op, &r);
    l = fs_data_of(&r, "List");
    CHECK(fs_ok(&r) && l && l->n == 1, "readdir honours limit");
    rmsg_free(&r);
    fs_req(&a, 21, op, &r);
    l = fs_data_of(&r, "List");
    CHECK(fs_ok(&r) && l && l->n == 1, "readdir continues");
    rmsg_free(&r);
    fs_req(&a, 22, op, &r);
    l = fs_data_of(&r, "List");
    CHECK(fs_ok(&r) && l && l->n == 0, "readdir at end is empty");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"FStat\":{\"handle\":%llu}}}", (unsigned long long)dh);
    fs_req(&a, 23, op, &r);
    CHECK(fs_ok(&r) && !strcmp(cv_get(fs_data_of(&r, "Stat"), "kind")->s, "dir"), "fstat on a directory handle");
    rmsg_free(&r);
    /* errors are responses, not crashes */
    snprintf(op, sizeof op, "{\"op\":{\"Stat\":{\"path\":\"%s/missing\",\"follow_symlink\":true}}}", dir);
    fs_req(&a, 24, op, &r);
    CHECK(r.m.type == MT_FS_RESPONSE && !fs_ok(&r) && strstr(P(&r, "error")->s, "No such file"), "stat of a missing path");
    rmsg_free(&r);
    fs_req(&a, 25, "{\"op\":{\"Explode\":{}}}", &r);
    CHECK(r.m.type == MT_FS_RESPONSE && !fs_ok(&r) && strstr(P(&r, "error")->s, "unknown operation"), "unknown op named");
    rmsg_free(&r);
    fs_req(&a, 26, "{\"op\":{\"Stat\":{\"path\":7}}}", &r);
    CHECK(!fs_ok(&r) && strstr(P(&r, "error")->s, "field path"), "wrong field type named");
    rmsg_free(&r);
    ap_send_data(&a, MT_FS_DATA, 27, "x", 1);
    recv1(&a, &r);
    CHECK(r.m.type == MT_FS_RESPONSE && !fs_ok(&r), "data for an unknown write session");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"RemoveDir\":{\"path\":\"%s/fs/a/b\",\"recursive\":false}}}", tmpdir);
    fs_req(&a, 28, op, &r);
    CHECK(!fs_ok(&r), "non-recursive remove of a non-empty directory fails");
    rmsg_free(&r);
    snprintf(op, sizeof op, "{\"op\":{\"RemoveDir\":{\"path\":\"%s/fs\",\"recursive\":true}}}", tmpdir);
    fs_req(&a, 29, op, &r);
    snprintf(op, sizeof op, "%s/fs", tmpdir);
    CHECK(fs_ok(&r) && access(op, F_OK) != 0, "recursive remove");
    rmsg_free(&r);
    finish(&a, "test_fs");
}

static void test_tcp(void)
{
    struct agentp a;
    struct rmsg r;
    start(&a, NULL);
    unsigned port;
    int ls = loopback_listener(&port);
    char req[128];
    snprintf(req, sizeof req, "{\"host\":\"localhost\",\"port\":%u}", port);
    ap_send_json(&a, MT_TCP_CONNECT, 1, req);
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_CONNECTED && r.m.id == 1, "tcp connected");
    rmsg_free(&r);
    int c = accept(ls, NULL, NULL);
    ap_send_data(&a, MT_TCP_DATA, 1, "ping", 4);
    char b[16] = "";
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(c, b + got, 4 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK(got == 4 && !memcmp(b, "ping", 4), "host data reaches the destination");
    CHECK(write(c, "pong", 4) == 4, "write");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_DATA && P(&r, "data")->n == 4 && !memcmp(P(&r, "data")->s, "pong", 4), "destination data reaches the host");
    rmsg_free(&r);
    shutdown(c, SHUT_WR);
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_EOF && !(r.m.flags & FLAG_TERMINAL), "destination EOF is a non-terminal tcp.eof");
    rmsg_free(&r);
    ap_send_json(&a, MT_TCP_EOF, 1, "{}");
    got = (size_t)read(c, b, sizeof b);
    CHECK(got == 0, "host EOF half-closes toward the destination");
    ap_send_json(&a, MT_TCP_CLOSE, 1, "{}");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_CLOSED && (r.m.flags & FLAG_TERMINAL), "close answered with closed");
    rmsg_free(&r);
    close(c);
    close(ls); /* now the port refuses */
    ap_send_json(&a, MT_TCP_CONNECT, 2, req);
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_FAILED && strstr(P(&r, "error")->s, "refused"), "refused connect fails");
    rmsg_free(&r);
    ap_send_json(&a, MT_TCP_CONNECT, 4, "{\"host\":\"no-such-host.example\",\"port\":80}");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_FAILED && strstr(P(&r, "error")->s, "field host"), "names outside /etc/hosts are refused, not resolved");
    rmsg_free(&r);
    ap_send_json(&a, MT_TCP_CONNECT, 3, "{\"host\":\"127.0.0.1\",\"port\":0}");
    if (recv1(&a, &r))
        CHECK(r.m.type == MT_TCP_FAILED && strstr(P(&r, "error")->s, "port"), "port 0 refused naming the field");
    rmsg_free(&r);
    finish(&a, "test_tcp");
}

/* {"$bytes": hex} of n bytes, for payload JSON */
static const char *bytes_json(size_t n)
{
    static char j[2 * 1024 + 32];
    size_t l = (size_t)snprintf(j, sizeof j, "{\"$bytes\":\"");
    for (size_t i = 0; i < n && l + 3 < sizeof j; i++)
        l += (size_t)snprintf(j + l, sizeof j - l, "%02x", (unsigned)(i * 37 + 11) & 0xff);
    snprintf(j + l, sizeof j - l, "\"}");
    return j;
}

/* Sends msb.identity.apply; returns its answer's type, with a core.error's message in msg. */
static enum mt identity(struct agentp *a, uint32_t id, const char *payload, char *msg, size_t msglen)
{
    struct rmsg r;
    enum mt t = MT_UNKNOWN;
    msg[0] = 0;
    ap_send_json(a, MT_IDENTITY_APPLY, id, payload);
    if (recv1(a, &r)) {
        CHECK(r.m.id == id && (r.m.flags & FLAG_TERMINAL), "identity answer is terminal on id %u", id);
        t = r.m.type;
        if (t == MT_ERROR) {
            CHECK(!strcmp(P(&r, "kind")->s, "invalid_payload"), "kind invalid_payload (got %s)", P(&r, "kind")->s);
            snprintf(msg, msglen, "%s", P(&r, "message")->s);
        } else {
            CHECK(r.m.payload.root && r.m.payload.root->type == CV_MAP && r.m.payload.root->n == 0, "applied is {}");
        }
    }
    rmsg_free(&r);
    return t;
}

/* The exec defaults a later exec sees: "$IDENTITY_A|$IDENTITY_B|<cwd>". */
static void defaults_are(struct agentp *a, uint32_t id, const char *want, const char *what)
{
    struct exec_result x;
    run(a, id, "{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"printf '%s|%s|%s' \\\"$IDENTITY_A\\\" \\\"$IDENTITY_B\\\" \\\"$(pwd)\\\"\"]}",
        NULL, &x);
    CHECK(x.exited && x.code == 0 && !strcmp((char *)x.out.p, want), "%s: got '%s', want '%s'", what, (char *)x.out.p, want);
    exec_free(&x);
}

/* msb.identity.apply (decision 1240) in a host-process agent: the exec defaults are replaced; hostname, network, seed
 * and clock are checked but left alone (they belong to the guest's PID 1); a bad payload is refused naming the field
 * and the rule, with nothing applied. */
static void test_identity(void)
{
    struct agentp a;
    char msg[512], host_before[256] = "", host_after[256] = "", payload[4096];
    gethostname(host_before, sizeof host_before);
    start(&a, NULL);
    snprintf(payload, sizeof payload,
             "{\"bootstrap\":{\"hostname\":\"copy-1\",\"default_env\":[{\"key\":\"IDENTITY_A\",\"value\":\"one\"}],"
             "\"default_cwd\":\"%s\",\"network\":{\"address\":\"172.16.0.10\",\"prefix\":30,\"gateway\":\"172.16.0.9\","
             "\"mac\":\"02:00:ac:10:00:0a\"}},\"seed\":%s,\"unix_time_nanos\":1}", tmpdir, bytes_json(32));
    CHECK(identity(&a, 1, payload, msg, sizeof msg) == MT_IDENTITY_APPLIED, "apply: %s", msg);
    char want[512];
    snprintf(want, sizeof want, "one||%s", tmpdir);
    defaults_are(&a, 2, want, "env and cwd of the next exec");
    gethostname(host_after, sizeof host_after);
    CHECK(!strcmp(host_before, host_after), "a host-process agent leaves the hostname alone");

    /* a second default_env replaces the first; absent fields stay */
    CHECK(identity(&a, 3, "{\"bootstrap\":{\"default_env\":[{\"key\":\"IDENTITY_B\",\"value\":\"two\"}]}}", msg,
                   sizeof msg) == MT_IDENTITY_APPLIED, "second apply: %s", msg);
    snprintf(want, sizeof want, "|two|%s", tmpdir);
    defaults_are(&a, 4, want, "default_env replaced, cwd kept");
    CHECK(identity(&a, 5, "{\"bootstrap\":{}}", msg, sizeof msg) == MT_IDENTITY_APPLIED, "empty apply: %s", msg);
    defaults_are(&a, 6, want, "an empty bootstrap changes nothing");

    /* each bad payload would also change env and cwd: none of it may be applied */
#define CHANGES "\"default_env\":[{\"key\":\"IDENTITY_A\",\"value\":\"bad\"}],\"default_cwd\":\"/\""
    static const struct {
        const char *bootstrap, *rest, *message;
    } bad[] = {
        {CHANGES, ",\"seed\":SHORT", "seed must be 32 to 512 bytes"},
        {CHANGES, ",\"seed\":LONG", "seed must be 32 to 512 bytes"},
        {CHANGES, ",\"seed\":\"text\"", "field seed: must be a byte string"},
        {CHANGES, ",\"unix_time_nanos\":-1", "field unix_time_nanos: must be an unsigned integer"},
        {CHANGES ",\"rlimits\":[{\"resource\":\"nofile\",\"soft\":1,\"hard\":1}]", "",
         "bootstrap.rlimits cannot change in a running guest"},
        {CHANGES ",\"handoff_init\":{\"cmd\":\"auto\"}", "", "bootstrap.handoff_init cannot change in a running guest"},
        {CHANGES ",\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"/tmp/x\"},{\"kind\":\"9p\",\"source\":\"tag\",\"path\":\"/mnt\"}]",
         "", "bootstrap.mounts[1] kind must be tmpfs"},
        {CHANGES ",\"mounts\":[{\"kind\":\"tmpfs\",\"path\":\"relative\"}]", "", "bootstrap.mounts[0] path must be absolute"},
        {CHANGES ",\"hostname\":\"bad host\"", "", "bootstrap.hostname must be a DNS name"},
        {CHANGES ",\"hostname\":\"a\\nb\"", "", "bootstrap.hostname must be a DNS name"},
        {CHANGES ",\"hostname\":\"a-name-longer-than-the-sixty-four-bytes-the-kernel-takes-for-a-host\"", "",
         "bootstrap.hostname must be a DNS name"},
        {"\"default_cwd\":\"/\",\"default_env\":[{\"key\":\"IDENTITY_A\",\"value\":\"bad\"},{\"key\":\"A=B\",\"value\":\"1\"}]", "",
         "bootstrap.default_env[1] key must be non-empty"},
        {CHANGES ",\"user\":\"no-such-user-msb\"", "", "bootstrap.user must name a user of the guest"},
        {"\"default_env\":[{\"key\":\"IDENTITY_A\",\"value\":\"bad\"}],\"default_cwd\":\"\"", "",
         "bootstrap.default_cwd must be a text of 1 to 4096 bytes"},
        {CHANGES ",\"network\":{\"address\":\"172.16.0.10\",\"prefix\":30,\"gateway\":\"10.0.0.1\"}", "",
         "bootstrap.network.gateway must be another host address"},
    };
#undef CHANGES
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *rest = strstr(bad[i].rest, "SHORT") ? bytes_json(31) : strstr(bad[i].rest, "LONG") ? bytes_json(513) : NULL;
        snprintf(payload, sizeof payload, "{\"bootstrap\":{%s}%s%s}", bad[i].bootstrap, rest ? ",\"seed\":" : bad[i].rest,
                 rest ? rest : "");
        CHECK(identity(&a, 10 + (uint32_t)i, payload, msg, sizeof msg) == MT_ERROR && strstr(msg, bad[i].message),
              "bad payload %zu refused with '%s' (got '%s')", i, bad[i].message, msg);
    }
    CHECK(identity(&a, 40, "{\"seed\":null}", msg, sizeof msg) == MT_ERROR && strstr(msg, "field bootstrap: is required"),
          "bootstrap is required (got '%s')", msg);
    defaults_are(&a, 41, want, "nothing of a refused apply is applied");
    finish(&a, "test_identity");
}

static void test_heartbeat(void)
{
    char hb[512];
    snprintf(hb, sizeof hb, "%s/heartbeat.json", tmpdir);
    const char *extra[] = {"--heartbeat", hb, NULL};
    struct agentp a;
    start(&a, extra);
    exec_started(&a, 1, "{\"cmd\":\"sleep\",\"args\":[\"60\"]}", "started");
    /* wait (bounded) for a heartbeat written after the exec started */
    char text[2048] = "";
    int found = 0;
    for (int i = 0; i < 200 && !found; i++) {
        FILE *f = fopen(hb, "r");
        if (f) {
            size_t n = fread(text, 1, sizeof text - 1, f);
            text[n] = 0;
            fclose(f);
            found = strstr(text, "\"active_exec_sessions\":1") != NULL;
        }
        if (!found)
            usleep(50000);
    }
    CHECK(found, "heartbeat counts the running exec (got %s)", text);
    CHECK(strstr(text, "\"heartbeat_seq\":") && strstr(text, "\"activity_seq\":") && strstr(text, "\"timestamp\":\""), "heartbeat fields");
    struct buf j = {0};
    char err[200];
    CHECK(json_to_cbor(text, &j, err, sizeof err) == 0, "heartbeat is valid JSON: %s", err);
    buf_free(&j);
    ap_send_json(&a, MT_EXEC_SIGNAL, 1, "{\"signal\":9}");
    ap_kill(&a);
    CHECK(access(hb, F_OK) == 0, "heartbeat file remains");
}

static void test_listen(void)
{
    char sock[512];
    snprintf(sock, sizeof sock, "%s/agent.sock", tmpdir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(bin, bin, "--listen", sock, (char *)NULL);
        _exit(127);
    }
    for (int round = 0; round < 2; round++) {
        struct agentp a;
        struct rmsg r;
        CHECK(ap_connect_unix(&a, sock) == 0, "connect to --listen socket");
        if (recv1(&a, &r))
            CHECK(r.m.type == MT_READY, "ready on every connection");
        rmsg_free(&r);
        ping_ok(&a, 1);
        if (round == 1) {
            ap_send_json(&a, MT_SHUTDOWN, 0, "null");
            CHECK(ap_recv(&a, &r, T) == 0, "closed after shutdown");
        }
        ap_kill(&a);
    }
    int st = child_wait_or_kill(pid, 20000);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "--listen agent exits 0 after shutdown");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_agent AGENTD [VECTORS_DIR]\n");
        return 2;
    }
    bin = argv[1];
    vectors_dir = argc > 2 ? argv[2] : "../../conformance/agent-protocol";
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/agentd-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_core();
    test_flags();
    test_error_vectors();
    test_garbage();
    test_exec();
    test_backpressure();
    test_flow();
    test_flow_fence();
    test_streaming();
    test_fs();
    test_tcp();
    test_identity();
    test_heartbeat();
    test_listen();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) {
    }
    printf("test_agent %s: %d checks, %d failures\n", bin, checks, failures);
    return failures ? 1 : 0;
}
