/* Test helper: runs agentd as a child process and talks the protocol to it. */
#ifndef AGENTD_TEST_CLIENT_H
#define AGENTD_TEST_CLIENT_H
#include <sys/types.h>

#include "proto.h"

struct agentp {
    pid_t pid;
    int to, from; /* write frames to `to`, read frames from `from` */
    struct buf in;
    size_t head; /* bytes at the front of in already handed out as messages */
};

/* A received message; payload is decoded and checked against its schema by msg_decode. */
struct rmsg {
    struct msg m;
    int ok;
};

int ap_start(struct agentp *a, const char *bin, const char *const *extra);
int ap_connect_unix(struct agentp *a, const char *path);
void ap_send_raw(struct agentp *a, const void *p, size_t n);
void ap_send(struct agentp *a, enum mt t, uint32_t id, const struct buf *payload);
/* Waits up to timeout_ms for the next frame. Returns 1 with a message, 0 on EOF, -1 on timeout. */
int ap_recv(struct agentp *a, struct rmsg *r, int timeout_ms);
void rmsg_free(struct rmsg *r);
/* Waits for the process to exit; returns its wait status or -1 on timeout. */
int ap_wait(struct agentp *a, int timeout_ms);
void ap_kill(struct agentp *a);
#endif
