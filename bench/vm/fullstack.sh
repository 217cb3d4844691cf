#!/bin/sh
# Full-stack VM figures: see README.md. Usage: bench/vm/fullstack.sh [boots=10] [max-concurrent=10]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/target"
musl-gcc -static -Os -o "$here/target/poweroff" "$here/poweroff.c"
exec "$here/stack.sh" FullStack "$here/target/poweroff" "${1:-10}" "${2:-10}"
