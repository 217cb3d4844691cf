#!/bin/sh
# Boot benchmark: see README.md. Usage: bench/vm/run.sh [boots] [auto|kvm|tcg] [poweroff|agentd] [net]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/vm/target"
mkdir -p "$out"
musl-gcc -static -Os -o "$out/poweroff" "$here/poweroff.c"
api=$(ls "$root"/bundles/io.msb.api/target/io.msb.api-*.jar | grep -v sources | head -n 1)
qemu=$(ls "$root"/bundles/io.msb.vmm.qemu/target/io.msb.vmm.qemu-*.jar | grep -v sources | head -n 1)
agentd=$(ls "$root"/native/agentd/target/agentd-*.jar 2>/dev/null | head -n 1 || true)
init="$out/poweroff"
[ "${3:-poweroff}" = agentd ] && init=agentd
cd "$root"
exec java -cp "$api:$qemu:$agentd" "$here/BootFloor.java" "$init" "${1:-10}" "${2:-auto}" "${4:-}"
