#!/bin/sh
# The cloud backend's cost: see README.md. Usage: bench/cloud/run.sh [execs=100] [creates=5]
# Needs the modules and the server archive installed (mvn -q install -DskipTests); MAVEN_REPO as for bench/vm/stack.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
archive=$(ls "$root"/distribution/target/msb-distribution-*.tar.gz | head -n 1)
JAVA_OPTS="-Dmsb.e2e.distribution=$archive" exec "$root/bench/vm/stack.sh" io.msb.e2e.CloudBench "${1:-100}" "${2:-5}"
