#!/bin/sh
# Cost of GET /metrics with COUNT running sandboxes: creates them (builtin:busybox, no network, 128 MiB), then times
# RUNS scrapes with curl (the server's part: listing, every sandbox's guest figures, the text), prints each run,
# the median and the size of one scrape, and removes the sandboxes. MSB_API_URL/MSB_API_KEY point at the server.
# Usage: bench/metrics/scrape.sh MSB [COUNT] [RUNS]
set -eu
msb=$1 count=${2:-10} runs=${3:-20}
url=${MSB_API_URL:-http://127.0.0.1:5555}
auth="Authorization: Bearer $MSB_API_KEY"
ms() { echo $(($(date +%s%N) / 1000000)); }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

scrape() { curl -fsS -H "$auth" "$url/metrics"; }
cleanup() {
    i=1
    while [ $i -le "$count" ]; do "$msb" rm -f "bench-metrics-$i" > /dev/null 2>&1 || true; i=$((i + 1)); done
}
trap cleanup EXIT

time_scrapes() { # LABEL
    scrape > /dev/null # warm: the first scrape loads classes
    all=""
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(ms); scrape > /dev/null; t1=$(ms)
        all="$all $((t1 - t0))"
        i=$((i + 1))
    done
    printf '%-28s median %5s ms   bytes %7s   runs:%s\n' "$1" "$(echo "$all" | median)" "$(scrape | wc -c)" "$all"
}

time_scrapes "0 bench sandboxes"
i=1
while [ $i -le "$count" ]; do
    "$msb" create --name "bench-metrics-$i" --no-net --memory 128 builtin:busybox > /dev/null
    i=$((i + 1))
done
running=$(scrape | awk '$1 == "msb_sandboxes{status=\"running\"}" { print $2 }')
time_scrapes "$count bench sandboxes ($running running)"
