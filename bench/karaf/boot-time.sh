#!/usr/bin/env bash
#
# Boot-to-ready time of the msb server distribution: from `bin/msb-server start` until the console
# answers msb:version and the SandboxService is registered (msb-server's own readiness test).
#   cold: a fresh copy of the assembly (Karaf resolves and installs every boot feature)
#   warm: the same copy started again (bundle cache in data/ reused)
# Prints every run, then median, min and max per kind.
#
# Usage: bench/karaf/boot-time.sh            (RUNS=5 by default; ASSEMBLY=... to point elsewhere)
set -euo pipefail

RUNS=${RUNS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb-server" ] || {
    echo "no assembly at $ASSEMBLY: build it first (mvn install -pl distribution -am)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/msb-bench-karaf.XXXXXX)
SERVER="$WORK/server"
cleanup() {
    [ -x "$SERVER/bin/msb-server" ] && "$SERVER/bin/msb-server" stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { # a random loopback port nobody answers on
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# set_prop FILE KEY VALUE
set_prop() {
    if grep -q "^[[:space:]]*$2[[:space:]]*[=:]" "$1"; then
        sed -i "s|^[[:space:]]*$2[[:space:]]*[=:].*|$2 = $3|" "$1"
    else
        echo "$2 = $3" >> "$1"
    fi
}

fresh_server() {
    rm -rf "$SERVER"
    cp -a "$ASSEMBLY" "$SERVER"
    set_prop "$SERVER/etc/org.apache.karaf.shell.cfg" sshPort "$(free_port)"
    local http; http=$(free_port)
    set_prop "$SERVER/etc/org.apache.felix.http.cfg" org.osgi.service.http.port "$http"
    set_prop "$SERVER/etc/system.properties" org.osgi.service.http.port "$http"
}

# timed_start: prints seconds from `msb-server start` to ready
timed_start() {
    local t0 t1
    t0=$(date +%s.%N)
    MSB_HOME="$WORK/msb-home" "$SERVER/bin/msb-server" start > "$WORK/start.log" 2>&1 || {
        cat "$WORK/start.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

stats() { # stats NAME VALUES...
    local name=$1; shift
    printf '%s\n' "$@" | sort -n | awk -v n="$name" '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "%-5s median %6.2f s   min %6.2f s   max %6.2f s   (n=%d)\n", n, m, v[1], v[NR], NR }'
}

load() { cut -d ' ' -f 1-3 /proc/loadavg; }
echo "msb server boot-to-ready, $RUNS runs each; $(nproc) cores; $(java -version 2>&1 | head -n 1)"
echo "load average before: $(load)"
cold=()
for i in $(seq 1 "$RUNS"); do
    fresh_server
    t=$(timed_start); cold+=("$t")
    echo "cold run $i: $t s"
    "$SERVER/bin/msb-server" stop > /dev/null
done
warm=()
for i in $(seq 1 "$RUNS"); do
    t=$(timed_start); warm+=("$t")
    echo "warm run $i: $t s"
    "$SERVER/bin/msb-server" stop > /dev/null
done
stats cold "${cold[@]}"
stats warm "${warm[@]}"
echo "load average after: $(load)"
