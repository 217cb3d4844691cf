#!/bin/sh
# Snapshot timings: see README.md.
#   bench/snapshot/run.sh [mib=100] [rounds=5]     disk snapshots: create, create from one, cold create (SnapshotBench)
#   bench/snapshot/run.sh memory [rounds=10]       resumable snapshots: capture, restore, first exec (MemorySnapshotBench)
# Needs the modules installed (mvn -q install -DskipTests); MAVEN_REPO as for bench/vm/stack.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = memory ]; then
    exec "$root/bench/vm/stack.sh" io.msb.e2e.MemorySnapshotBench "${2:-10}"
fi
exec "$root/bench/vm/stack.sh" io.msb.e2e.SnapshotBench "${1:-100}" "${2:-5}"
