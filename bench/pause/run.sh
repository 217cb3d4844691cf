#!/bin/sh
# Pause/resume latency: see README.md. Usage: bench/pause/run.sh [cycles=50]
# Needs the modules and the server archive installed (mvn -q install -DskipTests); MAVEN_REPO as for bench/vm/stack.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
archive=$(ls "$root"/distribution/target/msb-distribution-*.tar.gz | head -n 1)
JAVA_OPTS="-Dmsb.e2e.distribution=$archive" exec "$root/bench/vm/stack.sh" io.msb.e2e.PauseBench "${1:-50}"
