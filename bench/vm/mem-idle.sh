#!/bin/sh
# Where an idle sandbox's host memory goes, per guest kernel, from QEMU alone to idle sandboxes: see MemIdle.java.
# Usage: bench/vm/mem-idle.sh [idle=10] [guest command run in each sandbox before measuring]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/target/mem-idle"
# An /init that only sleeps: the kernel's own floor, with nothing of agentd's.
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$here/target/mem-idle/sleep.c"
musl-gcc -static -Os -o "$here/target/mem-idle/init" "$here/target/mem-idle/sleep.c"
exec "$here/stack.sh" MemIdle "$here/target/mem-idle/init" "${1:-10}" "${2:-}"
