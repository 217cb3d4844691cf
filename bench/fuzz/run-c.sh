#!/bin/sh
# Fuzzes agentd's frame/CBOR/payload decoders with libFuzzer under ASan+UBSan (clang).
# usage: bench/fuzz/run-c.sh [RUNS]   (default 10000000)   Needs: clang (apt-get install clang), python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
agentd="$root/native/agentd"
runs=${1:-10000000}
work=${FUZZ_WORK:-/var/tmp/msb-fuzz}/agentd
mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"

clang -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$agentd/src" -o "$work/fuzz_frame" "$agentd/tests/fuzz_frame.c" "$agentd/src/cbor.c" "$agentd/src/proto.c" "$agentd/src/net.c"

# seeds: each conformance vector as a frame stream (mode 0), its body's payload as a typed payload
# (mode 2+: the harness maps byte b to message type (b - 2) % MT_COUNT) and the payload as one item (mode 1)
python3 - "$root/conformance/agent-protocol/vectors.json" "$work/seeds" "$root/conformance/guest-bootstrap/network.hex" <<'PY'
import json, sys, os
vectors = json.load(open(sys.argv[1]))["vectors"]
out = sys.argv[2]
# the bootstrap's network map (its last field) as one item: mode 1 also runs net_parse on it
boot = bytes.fromhex(open(sys.argv[3]).read().strip())
open(os.path.join(out, "n000"), "wb").write(b"\x01" + boot[boot.index(b"\x67network") + 8:])
for i, v in enumerate(vectors):
    b = bytes.fromhex(v["hex"])
    open(os.path.join(out, "f%03d" % i), "wb").write(b"\x00" + b)
    open(os.path.join(out, "i%03d" % i), "wb").write(b"\x01" + b[9:])
    open(os.path.join(out, "p%03d" % i), "wb").write(bytes([2 + i % 34]) + b[9:])
PY

start=$(date +%s)
"$work/fuzz_frame" -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" "$work/corpus" "$work/seeds" 2>&1 | tee "$work/fuzz.log" \
    | grep -E '^(#[0-9]+ +(DONE|pulse)|==[0-9]+==|INFO: seed|stat::|SUMMARY)' || true
echo "== agentd fuzz_frame: $(( $(date +%s) - start )) s; crashes: $(ls "$work/crashes" | wc -l) (log $work/fuzz.log)"
