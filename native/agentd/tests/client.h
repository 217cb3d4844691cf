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
/* Sends a payload written as JSON (tests/json.c); aborts on JSON the caller got wrong. */
void ap_send_json(struct agentp *a, enum mt t, uint32_t id, const char *json);
/* Sends a {"data": bytes} payload: exec stdin, fs and tcp data (an empty chunk ends a stream). */
void ap_send_data(struct agentp *a, enum mt t, uint32_t id, const void *data, size_t n);
/* Waits up to timeout_ms for the next frame. Returns 1 with a message, 0 on EOF, -1 on timeout. */
int ap_recv(struct agentp *a, struct rmsg *r, int timeout_ms);
void rmsg_free(struct rmsg *r);
/* Waits for the process to exit; returns its wait status or -1 on timeout. */
int ap_wait(struct agentp *a, int timeout_ms);
/* Waits up to timeout_ms for the child pid to exit: its wait status, or -1 with the child killed and reaped. */
int child_wait_or_kill(pid_t pid, int timeout_ms);
void ap_kill(struct agentp *a);
#endif
