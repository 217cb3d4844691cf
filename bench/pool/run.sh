#!/bin/sh
# Warm-pool create -> first exec times beside cold creates and restores: see README.md.
# Usage: bench/pool/run.sh [creates=100] [cold=10]. Needs the modules installed (mvn -q install -DskipTests);
# MAVEN_REPO as for bench/vm/stack.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/bench/vm/stack.sh" io.msb.e2e.WarmPoolBench "${1:-100}" "${2:-10}"
