#!/bin/sh
# Boot-floor benchmark: see README.md. Usage: bench/vm/run.sh [boots] [auto|kvm|tcg]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/vm/target"
mkdir -p "$out"
musl-gcc -static -Os -o "$out/poweroff" "$here/poweroff.c"
api=$(ls "$root"/bundles/io.msb.api/target/io.msb.api-*.jar | grep -v sources | head -n 1)
qemu=$(ls "$root"/bundles/io.msb.vmm.qemu/target/io.msb.vmm.qemu-*.jar | grep -v sources | head -n 1)
exec java -cp "$api:$qemu" "$here/BootFloor.java" "$out/poweroff" "${1:-10}" "${2:-auto}"
