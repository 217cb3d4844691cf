#!/usr/bin/env bash
#
# LogsBench (see README.md) against a private copy of the server distribution: free loopback ports, a temporary
# MSB_HOME whose kernel/ is the shared cache ~/.msb/kernel. Builds nothing: needs distribution/target/assembly.
#
# Usage: bench/http/logs.sh [ROUNDS=100] [MIB=24] [IMAGE=builtin:busybox]     (ASSEMBLY=... to use another tree)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ASSEMBLY=${ASSEMBLY:-$ROOT/distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb-server" ] || { echo "no assembly at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }

. "$HERE/../server-copy.sh" logs
java "$HERE/LogsBench.java" "${1:-100}" "${2:-24}" "${3:-builtin:busybox}"
