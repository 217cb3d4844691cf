/* Stream chunks framed in place (frame_data_prefix + data) must be byte for byte the frames the
 * generic encoder writes for {data: bytes}, at every CBOR length boundary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int main(void)
{
    static const size_t sizes[] = {0, 1, 23, 24, 255, 256, 65524, 65525, 65526, 65527, 65535, 65536, 65537,
                                   262143, FRAME_DATA_MAX};
    static const enum mt types[] = {MT_EXEC_STDOUT, MT_EXEC_STDERR, MT_FS_DATA, MT_TCP_DATA,
                                    MT_RELAY_CLIENT_DISCONNECTED /* the longest name */};
    static const uint32_t ids[] = {0, 7, 0xfffffffeu};
    uint8_t *data = malloc(FRAME_DATA_MAX);
    for (size_t i = 0; i < FRAME_DATA_MAX; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    int checks = 0, failures = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                size_t n = sizes[s];
                struct buf p = {0}, want = {0};
                cb_map(&p, 1);
                cb_str(&p, "data");
                cb_bytes(&p, data, n);
                frame_append(&want, types[t], ids[k], &p);
                uint8_t pre[FRAME_PREFIX_MAX];
                size_t pl = frame_data_prefix(pre, types[t], ids[k], n);
                checks++;
                if (pl > FRAME_PREFIX_MAX || want.len != pl + n || memcmp(want.p, pre, pl) ||
                    memcmp(want.p + pl, data, n)) {
                    fprintf(stderr, "FAIL %s id %u: %zu data bytes framed differently\n", mt_name(types[t]), ids[k], n);
                    failures++;
                }
                buf_free(&p);
                buf_free(&want);
            }
    free(data);
    printf("test_frame: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
