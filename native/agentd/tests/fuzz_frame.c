/* libFuzzer harness for agentd's decoders of host data (cbor.c, proto.c), run under ASan+UBSan by
 * bench/fuzz/run-c.sh. The first input byte picks what the rest is:
 *   0: bytes from the agent channel: frames as agent.c cuts them (frame_check), each body decoded
 *      (msg_decode: envelope, type, flags, payload CBOR and schema);
 *   1: one CBOR item (cbor_decode), then the lookups the agent makes on maps, and the item read as the
 *      bootstrap's network map (net.c: net_parse and the resolv.conf/hosts text it leads to);
 *   2+: a payload for message type (byte - 2) % MT_COUNT, wrapped in a valid envelope with that type's
 *      flags, so every input reaches that type's schema check.
 * Built with -DFUZZ_MAIN it is a plain program that runs the files given as arguments (crash replay). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "net.h"
#include "proto.h"

static void check_err(int rc, const char *err)
{
    if (rc && err[0] == '\0')
        abort(); /* a rejection must say why */
}

static void frames(const uint8_t *p, size_t n)
{
    size_t off = 0;
    uint32_t len;
    while (frame_check(p + off, n - off, &len) == FRAME_OK) {
        const uint8_t *f = p + off;
        struct msg m = {.id = (uint32_t)f[4] << 24 | (uint32_t)f[5] << 16 | (uint32_t)f[6] << 8 | f[7],
                        .flags = f[8]};
        const char *kind = NULL;
        char err[256] = "";
        int rc = msg_decode(f + 4 + FRAME_HEADER, len - FRAME_HEADER, &m, &kind, err, sizeof err);
        check_err(rc, err);
        if (rc && kind == NULL)
            abort();
        msg_free(&m);
        off += 4 + (size_t)len;
    }
}

static void item(const uint8_t *p, size_t n)
{
    struct cbor_doc d = {0};
    char err[256] = "";
    int rc = cbor_decode(p, n, &d, err, sizeof err);
    check_err(rc, err);
    if (rc == 0) {
        (void)cv_is_absent(cv_get(d.root, "data"));
        (void)cv_get(d.root, "");
        struct net_config c;
        char text[NET_MAX_HOSTS * 300];
        int nrc = net_parse(d.root, &c, err, sizeof err);
        check_err(nrc, err);
        if (nrc == 0 && (net_resolv_conf(&c, text, sizeof text) >= sizeof text ||
                         net_hosts_lines(&c, text, sizeof text) >= sizeof text))
            abort(); /* every valid map's text fits the buffers agentd uses */
    }
    cbor_free(&d);
}

static void payload(enum mt t, const uint8_t *p, size_t n)
{
    struct buf pb = {0}, fr = {0};
    buf_put(&pb, p, n);
    frame_append(&fr, t, 7, &pb);
    uint32_t len;
    if (frame_check(fr.p, fr.len, &len) != FRAME_OK)
        abort(); /* our own frame */
    struct msg m = {.id = 7, .flags = mt_flags(t)};
    const char *kind = NULL;
    char err[256] = "";
    int rc = msg_decode(fr.p + 4 + FRAME_HEADER, len - FRAME_HEADER, &m, &kind, err, sizeof err);
    check_err(rc, err);
    msg_free(&m);
    buf_free(&pb);
    buf_free(&fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 0)
        frames(data + 1, size - 1);
    else if (data[0] == 1)
        item(data + 1, size - 1);
    else
        payload((enum mt)((data[0] - 2) % MT_COUNT), data + 1, size - 1);
    return 0;
}

#ifdef FUZZ_MAIN
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        static uint8_t in[1 << 20];
        size_t n = fread(in, 1, sizeof in, f);
        fclose(f);
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees reads past the end */
        memcpy(copy, in, n);
        LLVMFuzzerTestOneInput(copy, n);
        free(copy);
        printf("ok %s\n", argv[i]);
    }
    return 0;
}
#endif
