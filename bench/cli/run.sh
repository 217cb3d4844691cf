#!/usr/bin/env bash
#
# The msb CLI's cost, against a private copy of the server distribution (free loopback ports, a
# temporary MSB_HOME whose kernel/ is the shared cache ~/.msb/kernel):
#   help        bin/msb --help                                  JVM + argument parsing, no HTTP
#   version     bin/msb version                                 start-up + one HTTP round trip
#   version-nocds  the same without the class-data archive (MSB_CLI_CDS=0)
#   run         bin/msb run --rm builtin:busybox -- true        create+boot, exec, delete: a whole sandbox
#   curl-run    the same three HTTP requests with curl          the HTTP path without the CLI's JVM
#   console-run bin/client 'msb:run --rm builtin:busybox -- true'   the same through the Karaf console
#   client-echo bin/client 'echo x'                             the console client's own cost
# Every figure is wall time in ms; prints each run, then the median per kind.
#
# Usage: bench/cli/run.sh      (RUNS=10 for help/version, VM_RUNS=5 for the sandbox runs; ASSEMBLY=...)
set -euo pipefail

RUNS=${RUNS:-10}
VM_RUNS=${VM_RUNS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb" ] || { echo "no assembly with bin/msb at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }

. "$HERE/../server-copy.sh" cli
export XDG_CACHE_HOME="$WORK/cache"   # bin/msb's class-data archive: this run's own
KEY=$(cat "$MSB_HOME/api-key")
MSB="$SERVER/bin/msb"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
declare -A RESULTS
# measure KIND COMMAND...: one timed run, which must succeed
measure() {
    local kind=$1 t0 t1
    shift
    t0=$(now_ms)
    "$@" > /dev/null 2>"$WORK/err" || { echo "$kind failed:" >&2; cat "$WORK/err" >&2; exit 1; }
    t1=$(now_ms)
    echo "$kind $((t1 - t0))"
    RESULTS[$kind]+="$((t1 - t0)) "
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

curl_run() {
    local name api="$MSB_API_URL/v1/sandboxes" auth="Authorization: Bearer $KEY"
    name="bench-$RANDOM$RANDOM"
    curl -sf -H "$auth" -H 'Content-Type: application/json' "$api?wait_for=running" \
        -d "{\"name\":\"$name\",\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"}}" > /dev/null
    curl -sf -H "$auth" -H 'Content-Type: application/json' "$api/by-name/$name/exec" -d '{"cmd":["true"]}' \
        | grep -q '"type":"exit","code":0'
    curl -sf -X DELETE -H "$auth" "$api/by-name/$name" > /dev/null
}
console() { "$SERVER/bin/client" -a "$SSH_PORT" "$1" < /dev/zero; }

# Warm-up, not counted: the first sandbox builds the builtin image; the first JVMs fill the page cache.
"$MSB" run --rm builtin:busybox -- true
console 'echo warm' > /dev/null
for _ in $(seq 120); do
    ls "$XDG_CACHE_HOME"/msb/cli-*.jsa > /dev/null 2>&1 && break
    sleep 0.5
done
ls "$XDG_CACHE_HOME"/msb/cli-*.jsa > /dev/null || { echo "bin/msb wrote no class-data archive" >&2; exit 1; }

for _ in $(seq "$RUNS"); do measure help "$MSB" --help; done
for _ in $(seq "$RUNS"); do measure version "$MSB" version; done
for _ in $(seq "$RUNS"); do measure version-nocds env MSB_CLI_CDS=0 "$MSB" version; done
for _ in $(seq "$VM_RUNS"); do measure run "$MSB" run --rm builtin:busybox -- true; done
for _ in $(seq "$VM_RUNS"); do measure curl-run curl_run; done
for _ in $(seq "$VM_RUNS"); do measure console-run console 'msb:run --rm builtin:busybox -- true'; done
for _ in $(seq "$VM_RUNS"); do measure client-echo console 'echo x'; done

echo "--- median ms (nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1))"
for kind in help version version-nocds run curl-run console-run client-echo; do
    printf '%-14s %s\n' "$kind" "$(echo "${RESULTS[$kind]}" | median)"
done
