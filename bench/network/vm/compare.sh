#!/bin/sh
# Throughput of slirp, passt and msb's stack behind the same guest, in one run (bench/network/README.md,
# "Against slirp and passt"). Runs e2e's NetworkCompareIT; needs the modules installed
# (mvn -o install -DskipTests -Pe2e) and passt on PATH.
# Usage: bench/network/vm/compare.sh [rounds=3] [MiB=64] [variants=slirp,passt,passt-65520,msb-1500,msb]
# MAVEN_REPO=<dir> uses another local Maven repository.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
report="$root/e2e/target/failsafe-reports/io.msb.e2e.NetworkCompareIT-output.txt"
cd "$root/e2e"
nice -n 5 mvn -B -ntp -o -q ${MAVEN_REPO:+-Dmaven.repo.local=$MAVEN_REPO} verify -Pe2e \
    -Dit.test=NetworkCompareIT -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false \
    -Dmsb.netbench.compare="${1:-3}" -Dmsb.netbench.mib="${2:-64}" \
    -Dmsb.netbench.variants="${3:-slirp,passt,passt-65520,msb-1500,msb}" || status=$?
grep -E 'round|failed|counters|throughput|^\|' "$report"
exit "${status:-0}"
