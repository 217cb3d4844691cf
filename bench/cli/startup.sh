#!/usr/bin/env bash
#
# What one `msb` invocation costs, against a private copy of the server distribution (bench/server-copy.sh: free
# loopback ports, a temporary MSB_HOME, its own XDG_CACHE_HOME so bin/msb trains its own class-data archive).
# With one running busybox sandbox, times RUNS runs of each kind, as wall ms from the shell, after WARMUP untimed ones:
#   help          bin/msb --help                    JVM + argument model + usage text, no HTTP
#   version       bin/msb version                   start-up + GET /v1/version
#   ls            bin/msb ls                        start-up + GET /v1/sandboxes
#   exec          bin/msb exec NAME -- true         start-up + the exec (NDJSON)
#   ls-nocds      MSB_CLI_CDS=0 bin/msb ls          the same without the class-data archive
#   curl-version  curl of GET /v1/version           the server's part alone, for reference
#   curl-ls       curl of GET /v1/sandboxes
#   curl-exec     curl of POST .../exec {"cmd":["true"]}: the exec itself
# Prints median, p90, min and max per kind (a hyperfine-like summary; hyperfine itself is not needed).
#
# Usage: bench/cli/startup.sh        (RUNS=20, WARMUP=3; ASSEMBLY=distribution/target/assembly)
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
for _ in $(seq 120); do
    ls "$XDG_CACHE_HOME"/msb/cli-*.jsa > /dev/null 2>&1 && break
    sleep 0.5
done
ls "$XDG_CACHE_HOME"/msb/cli-*.jsa > /dev/null || { echo "bin/msb wrote no class-data archive" >&2; exit 1; }

auth="Authorization: Bearer $KEY"
curl_version() { curl -fsS -H "$auth" "$MSB_API_URL/v1/version"; }
curl_ls() { curl -fsS -H "$auth" "$MSB_API_URL/v1/sandboxes?limit=100"; }
curl_exec() {
    curl -fsS -H "$auth" -H 'Content-Type: application/json' -d '{"cmd":["true"]}' \
        "$MSB_API_URL/v1/sandboxes/by-name/$BOX/exec" | grep -q '"type":"exit","code":0'
}

# kind KIND COMMAND...: WARMUP untimed runs, then RUNS timed ones (each must succeed); prints the summary line.
kind() {
    local name=$1 t0 t1 all=() i
    shift
    for ((i = 0; i < WARMUP + RUNS; i++)); do
        t0=$(date +%s%N)
        "$@" > /dev/null 2> "$WORK/err" || { echo "$name failed:" >&2; cat "$WORK/err" >&2; exit 1; }
        t1=$(date +%s%N)
        ((i < WARMUP)) || all+=($(((t1 - t0) / 1000000)))
    done
    printf '%s\n' "${all[@]}" | sort -n | awk -v k="$name" '{ v[NR] = $1 } END {
        printf "%-13s median %5d  p90 %5d  min %5d  max %5d ms  (%d runs)\n", k, v[int((NR + 1) / 2)],
            v[int((NR * 9 + 9) / 10)], v[1], v[NR], NR }'
}

echo "nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
kind help "$MSB" --help
kind version "$MSB" version
kind ls "$MSB" ls
kind exec "$MSB" exec "$BOX" -- true
kind ls-nocds env MSB_CLI_CDS=0 "$MSB" ls
kind curl-version curl_version
kind curl-ls curl_ls
kind curl-exec curl_exec
"$MSB" rm -f "$BOX" > /dev/null
