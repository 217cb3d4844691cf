#!/bin/sh
# The VM figures of issue 19 in one run: see README.md.
# Usage: bench/vm/fullstack.sh [boots=6] [idle=10] [density-cap=20]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/target"
musl-gcc -static -Os -o "$here/target/poweroff" "$here/poweroff.c"
exec "$here/stack.sh" FullStack "$here/target/poweroff" "${1:-6}" "${2:-10}" "${3:-20}"
