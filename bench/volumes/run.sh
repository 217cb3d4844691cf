#!/usr/bin/env bash
#
# Named volumes over HTTP, against a private copy of the server distribution (free loopback ports, a temporary
# MSB_HOME): create/ls/rm round trips and a 100 MiB file through the file routes. No VM is booted.
# Usage: bench/volumes/run.sh [ROUNDS] [FILE_RUNS]      (200 and 5 by default; ASSEMBLY=... as bench/cli)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb-server" ] || { echo "no assembly at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }

. "$HERE/../server-copy.sh" volumes
java "$HERE/VolumeBench.java" "$MSB_API_URL" "$(cat "$MSB_HOME/api-key")" "${1:-200}" "${2:-5}"
