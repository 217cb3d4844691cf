#!/bin/sh
# Builds the benchmark against agentd's sources and runs it on the release binary.
# Usage (from the repository root): bench/agentd/run.sh [path/to/agentd]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
src=$root/native/agentd
out=$src/target/bench
mkdir -p "$out"
bin=${1:-$src/target/agentd}
[ -x "$bin" ] || make -s -C "$src" all
gcc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$src/src" -I"$src/tests" -o "$out/agentd-bench" \
    "$root/bench/agentd/bench.c" "$src/tests/client.c" "$src/tests/json.c" "$src/src/cbor.c" "$src/src/proto.c"
exec "$out/agentd-bench" "$bin"
