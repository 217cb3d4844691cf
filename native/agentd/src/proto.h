/* Agent protocol generation 7: frames, message types, payload field access. */
#ifndef AGENTD_PROTO_H
#define AGENTD_PROTO_H

#include "cbor.h"

#define PROTO_VERSION 7
#define FRAME_HEADER 5               /* id u32 + flags u8 */
#define MAX_FRAME (4u * 1024 * 1024) /* covers id + flags + body */
#define FLAG_TERMINAL 1
#define FLAG_SESSION_START 2
#define FLAG_SHUTDOWN 4

enum mt {
    MT_READY, MT_INIT_RESOLVED, MT_INIT_ACK, MT_SHUTDOWN, MT_RELAY_CLIENT_DISCONNECTED,
    MT_CLOCK_SYNC, MT_PING, MT_PONG, MT_TOUCH, MT_TOUCHED, MT_ERROR,
    MT_EXEC_REQUEST, MT_EXEC_STARTED, MT_EXEC_STDIN, MT_EXEC_STDIN_ERROR, MT_EXEC_STDOUT,
    MT_EXEC_STDERR, MT_EXEC_EXITED, MT_EXEC_FAILED, MT_EXEC_RESIZE, MT_EXEC_SIGNAL,
    MT_FS_REQUEST, MT_FS_RESPONSE, MT_FS_DATA,
    MT_TCP_CONNECT, MT_TCP_CONNECTED, MT_TCP_DATA, MT_TCP_EOF, MT_TCP_CLOSE, MT_TCP_CLOSED,
    MT_TCP_FAILED, MT_BOOTSTRAP,
    MT_FLOW_PAUSE, MT_FLOW_RESUME, /* msb extension, decision 0230: per-session output pause */
    MT_IDENTITY_APPLY, MT_IDENTITY_APPLIED, /* msb extension, decision 1240: a restored guest takes a new identity */
    MT_COUNT,
    MT_UNKNOWN = -1
};

const char *mt_name(enum mt t);
enum mt mt_parse(const char *name, size_t n);
uint8_t mt_flags(enum mt t);

/* A decoded frame: header fields plus the decoded body and payload. */
struct msg {
    uint32_t id;
    uint8_t flags;
    uint64_t v;
    enum mt type;
    const char *tname;       /* the wire name as received */
    struct cbor_doc body;
    struct cbor_doc payload; /* root NULL when p was empty */
};

/* Appends a complete frame carrying payload p (already CBOR) to out. */
void frame_append(struct buf *out, enum mt t, uint32_t id, const struct buf *p);

/* Stream chunks ({data: bytes}) are framed in place: the prefix below, then the n data bytes.
 * frame_data_prefix writes the frame header, envelope and payload head for n data bytes (the same
 * bytes frame_append would produce) and returns its length, at most FRAME_PREFIX_MAX. */
#define FRAME_PREFIX_MAX 96
#define FRAME_DATA_MAX (256u * 1024) /* largest stream chunk the agent sends */
size_t frame_data_prefix(uint8_t out[FRAME_PREFIX_MAX], enum mt t, uint32_t id, size_t n);

/* Decodes the body of a frame whose id and flags are already in m: envelope, type, flags and
 * payload schema. Returns 0, or -1 with the core.error kind and a message. */
int msg_decode(const uint8_t *body, size_t n, struct msg *m, const char **kind, char *err, size_t errlen);
void msg_free(struct msg *m);

/* Checks the payload against the message's struct: required fields and field types. */
int payload_validate(enum mt t, const struct cv *p, char *err, size_t errlen);

/* Frame boundary check on buffered input; *len is the frame's length field. */
enum { FRAME_OK, FRAME_INCOMPLETE, FRAME_TOO_LARGE, FRAME_TOO_SHORT };
int frame_check(const uint8_t *p, size_t n, uint32_t *len);

/* Field readers for payload maps. Each returns 0 when set, 1 when absent (optional), -1 on error
 * with a message naming the field and the rule. Strings reject embedded NUL. */
struct fields {
    const struct cv *map;
    char err[256];
};
int f_text(struct fields *f, const char *key, int required, size_t max, const char **out);
int f_bytes(struct fields *f, const char *key, int required, const uint8_t **out, size_t *n);
int f_u64(struct fields *f, const char *key, int required, uint64_t max, uint64_t *out);
int f_i64(struct fields *f, const char *key, int required, int64_t *out);
int f_bool(struct fields *f, const char *key, int required, int *out);
int f_fail(struct fields *f, const char *key, const char *rule);

/* Payload writers for common maps. */
void p_core_error(struct buf *p, const char *kind, const char *message, const char *offending);

#endif
