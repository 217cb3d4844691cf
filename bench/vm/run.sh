#!/bin/sh
# Boot benchmark: see README.md. Usage: bench/vm/run.sh [boots] [auto|kvm|tcg] [poweroff|agentd] [net]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/vm/target"
mkdir -p "$out"
musl-gcc -static -Os -o "$out/poweroff" "$here/poweroff.c"
init="$out/poweroff"
[ "${3:-poweroff}" = agentd ] && init=agentd
cd "$root"
# The backend bundle runs in an embedded Felix (io.msb.testing's EmbeddedMsb), on e2e's class path.
exec "$here/stack.sh" BootFloor "$init" "${1:-10}" "${2:-auto}" "${4:-}"
