#!/usr/bin/env bash
#
# What one `msb` invocation costs, against a private copy of the server distribution (bench/server-copy.sh: free
# loopback ports, a temporary MSB_HOME, its own XDG_CACHE_HOME so bin/msb trains its own class-data archive).
# With one running busybox sandbox, times RUNS runs of each kind, as wall ms from the shell, after WARMUP untimed ones:
#   floor         java -Xshare:auto -version        the JVM alone, for reference
#   help          bin/msb --help                    JVM + argument model + usage text, no HTTP
#   version       bin/msb version                   start-up + GET /v1/version
#   ls            bin/msb ls                        start-up + GET /v1/sandboxes
#   exec          bin/msb exec NAME -- true         start-up + the exec (NDJSON)
#   ls-nocds      MSB_CLI_CDS=0 bin/msb ls          the same without the class-data archive
#   curl-version  curl of GET /v1/version           the server's part alone, for reference
#   curl-ls       curl of GET /v1/sandboxes
#   curl-exec     curl of POST .../exec {"cmd":["true"]}: the exec itself
# Prints median, p90, min and max per kind (a hyperfine-like summary; hyperfine itself is not needed).
# With OLD=another assembly (e.g. main's), its bin/msb is timed too, against the same server, for ls and exec, the
# two clients' runs alternating (old-ls, ls, old-ls, ...) so both see the same load.
#
# Usage: bench/cli/startup.sh        (RUNS=20, WARMUP=3; ASSEMBLY=distribution/target/assembly; OLD unset)
set -euo pipefail

RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb" ] || { echo "no assembly with bin/msb at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }

. "$HERE/../server-copy.sh" cli-startup
export XDG_CACHE_HOME="$WORK/cache"
KEY=$(cat "$MSB_HOME/api-key")
MSB="$SERVER/bin/msb"
BOX=startup-bench

# One sandbox to list and exec in; the first run also builds the builtin image and starts the archive's training.
"$MSB" run -d --name "$BOX" builtin:busybox > /dev/null
archives=1
if [ -n "${OLD:-}" ]; then
    [ -x "$OLD/bin/msb" ] || { echo "no assembly with bin/msb at OLD=$OLD" >&2; exit 1; }
    "$OLD/bin/msb" version > /dev/null # trains its own archive (named after its jars) in the same cache
    archives=2
fi
for _ in $(seq 120); do
    [ "$(ls "$XDG_CACHE_HOME"/msb/cli-*.jsa 2> /dev/null | wc -l)" -ge "$archives" ] && break
    sleep 0.5
done
[ "$(ls "$XDG_CACHE_HOME"/msb/cli-*.jsa 2> /dev/null | wc -l)" -ge "$archives" ] \
    || { echo "bin/msb wrote no class-data archive" >&2; exit 1; }

auth="Authorization: Bearer $KEY"
curl_version() { curl -fsS -H "$auth" "$MSB_API_URL/v1/version"; }
curl_ls() { curl -fsS -H "$auth" "$MSB_API_URL/v1/sandboxes?limit=100"; }
curl_exec() {
    curl -fsS -H "$auth" -H 'Content-Type: application/json' -d '{"cmd":["true"]}' \
        "$MSB_API_URL/v1/sandboxes/by-name/$BOX/exec" | grep -q '"type":"exit","code":0'
}

# ms COMMAND...: runs it (it must succeed) and prints its wall-clock milliseconds.
ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null 2> "$WORK/err" || { echo "$* failed:" >&2; cat "$WORK/err" >&2; exit 1; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

# summary KIND MS...: median, p90, min and max.
summary() {
    local name=$1
    shift
    printf '%s\n' "$@" | sort -n | awk -v k="$name" '{ v[NR] = $1 } END {
        printf "%-13s median %5d  p90 %5d  min %5d  max %5d ms  (%d runs)\n", k, v[int((NR + 1) / 2)],
            v[int((NR * 9 + 9) / 10)], v[1], v[NR], NR }'
}

# kind KIND COMMAND...: WARMUP untimed runs, then RUNS timed ones; prints the summary line. With OLD set and KIND
# ls or exec, OLD's bin/msb runs the same arguments before each run, and old-KIND is printed first.
kind() {
    local name=$1 all=() old=() i t
    shift
    for ((i = 0; i < WARMUP + RUNS; i++)); do
        if [ -n "${OLD:-}" ] && { [ "$name" = ls ] || [ "$name" = exec ]; }; then
            t=$(ms "$OLD/bin/msb" "${@:2}") || exit 1
            ((i < WARMUP)) || old+=("$t")
        fi
        t=$(ms "$@") || exit 1
        ((i < WARMUP)) || all+=("$t")
    done
    ((${#old[@]} == 0)) || summary "old-$name" "${old[@]}"
    summary "$name" "${all[@]}"
}

echo "nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
kind floor java -Xshare:auto -version
kind help "$MSB" --help
kind version "$MSB" version
kind ls "$MSB" ls
kind exec "$MSB" exec "$BOX" -- true
kind ls-nocds env MSB_CLI_CDS=0 "$MSB" ls
kind curl-version curl_version
kind curl-ls curl_ls
kind curl-exec curl_exec
"$MSB" rm -f "$BOX" > /dev/null
echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
