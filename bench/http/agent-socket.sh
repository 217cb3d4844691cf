#!/usr/bin/env bash
#
# AgentSocketBench (see README.md) against a private copy of the server distribution: free loopback ports, a
# temporary MSB_HOME whose kernel/ is the shared cache ~/.msb/kernel. Builds nothing: needs
# distribution/target/assembly and itests/target/test-classes (the client).
#
# Usage: bench/http/agent-socket.sh [CALLS=10000] [IMAGE=builtin:busybox]     (ASSEMBLY=... to use another tree)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ASSEMBLY=${ASSEMBLY:-$ROOT/distribution/target/assembly}
CLIENT=$ROOT/itests/target/test-classes
[ -x "$ASSEMBLY/bin/msb-server" ] || { echo "no assembly at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }
[ -f "$CLIENT/io/msb/itests/AgentSocketClient.class" ] || { echo "no $CLIENT: mvn test-compile -pl itests" >&2; exit 1; }

. "$HERE/../server-copy.sh" ws
java -cp "$CLIENT" "$HERE/AgentSocketBench.java" "${1:-10000}" "${2:-builtin:busybox}"
echo "server threads at the end: $(ls /proc/"$(cat "$SERVER/karaf.pid" 2>/dev/null || echo 0)"/task 2>/dev/null | wc -l)"
