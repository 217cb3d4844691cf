/* Test helper: JSON (as used by the conformance vectors) to CBOR. {"$bytes": "<hex>"} is a byte string. */
#ifndef AGENTD_TEST_JSON_H
#define AGENTD_TEST_JSON_H
#include "cbor.h"
/* Returns 0 and appends the CBOR encoding to out, or -1 with a message. */
int json_to_cbor(const char *json, struct buf *out, char *err, size_t errlen);
int hex_decode(const char *hex, struct buf *out);
#endif
