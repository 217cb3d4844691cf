#!/bin/sh
# Round trips of msb's observation commands against the running sandbox NAME, as wall-clock ms from the shell
# (JVM start-up included; `msb version` is that fixed cost with one HTTP request), and the same routes by curl
# (the server's part alone). Prints each kind's runs and median. MSB_API_URL/MSB_API_KEY point at the server.
# Usage: bench/cli/observe.sh MSB NAME [RUNS]
set -eu
msb=$1 box=$2 runs=${3:-5}
url=${MSB_API_URL:-http://127.0.0.1:5555}
ms() { echo $(($(date +%s%N) / 1000000)); }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

time_kind() { # KIND COMMAND...
    kind=$1; shift
    all=""
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(ms); "$@" > /dev/null; t1=$(ms)
        all="$all $((t1 - t0))"
        i=$((i + 1))
    done
    printf '%-22s median %5s ms   runs:%s\n' "$kind" "$(echo "$all" | median)" "$all"
}

procs=$("$msb" top -q "$box" | wc -l)
echo "sandbox $box: $procs guest processes"
time_kind "msb version" "$msb" version
time_kind "msb info" "$msb" info
time_kind "msb top" "$msb" top "$box"
time_kind "msb stats --no-stream" "$msb" stats --no-stream "$box"
if command -v curl > /dev/null; then
    auth="Authorization: Bearer $MSB_API_KEY"
    time_kind "curl /v1/info" curl -fsS -H "$auth" "$url/v1/info"
    time_kind "curl .../processes" curl -fsS -H "$auth" "$url/v1/sandboxes/by-name/$box/processes"
    time_kind "curl .../metrics" curl -fsS -H "$auth" "$url/v1/sandboxes/by-name/$box/metrics"
fi
