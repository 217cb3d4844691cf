#!/bin/sh
# Disk snapshot create and create-from-snapshot times: see README.md. Usage: bench/snapshot/run.sh [mib=100] [rounds=5]
# Needs the modules installed (mvn -q install -DskipTests); MAVEN_REPO as for bench/vm/stack.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/bench/vm/stack.sh" io.msb.e2e.SnapshotBench "${1:-100}" "${2:-5}"
