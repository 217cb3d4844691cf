#!/bin/sh
# msb cp throughput: a file of MB MiB (default 50) of random bytes into the running sandbox NAME and back,
# timed as wall-clock ms from the shell (JVM start-up and connection included: a 1-byte copy each way is the
# fixed cost, printed too), and the same bytes into the sandbox through `msb exec -i NAME -- sh -c 'cat > FILE'` for
# comparison. The copy back is compared byte for byte. MSB_API_URL/MSB_API_KEY point at the server.
# Usage: bench/cli/cp-throughput.sh MSB NAME [MB]
set -eu
msb=$1 box=$2 mb=${3:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c $((mb * 1048576)) /dev/urandom > "$work/in.bin"
printf x > "$work/tiny"
ms() { echo $(($(date +%s%N) / 1000000)); }

t0=$(ms); "$msb" cp "$work/tiny" "$box:/tmp/cp-bench-tiny"
t1=$(ms); "$msb" cp "$box:/tmp/cp-bench-tiny" "$work/tiny.out"
t2=$(ms); "$msb" cp "$work/in.bin" "$box:/tmp/cp-bench.bin"
t3=$(ms); "$msb" cp "$box:/tmp/cp-bench.bin" "$work/out.bin"
t4=$(ms)
cmp "$work/in.bin" "$work/out.bin"
# the same bytes through exec -i (stdin over the same agent WebSocket): what the channel allows without cp
"$msb" exec -i "$box" -- sh -c 'cat > /tmp/cp-bench.cat' < "$work/in.bin"
t5=$(ms)
"$msb" exec "$box" -- rm -f /tmp/cp-bench.bin /tmp/cp-bench-tiny /tmp/cp-bench.cat

rate() { awk -v mb="$mb" -v ms="$1" 'BEGIN { printf "%.1f MiB/s", mb * 1000 / ms }'; }
echo "1 byte in: $((t1 - t0)) ms, out: $((t2 - t1)) ms"
echo "$mb MiB in: $((t3 - t2)) ms ($(rate $((t3 - t2)))), out: $((t4 - t3)) ms ($(rate $((t4 - t3))))"
echo "$mb MiB in by exec -i cat: $((t5 - t4)) ms ($(rate $((t5 - t4))))"
