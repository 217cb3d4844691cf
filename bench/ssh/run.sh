#!/usr/bin/env bash
#
# SSH into a sandbox, against a private copy of the server distribution (bench/server-copy.sh: free loopback
# ports, a temporary MSB_HOME): the endpoint (io.msb.ssh, feature msb-ssh) on a free port, a throwaway ed25519 key
# in $MSB_HOME/ssh/authorized_keys, one builtin:busybox sandbox.
#   ssh-true     ssh -p PORT NAME@127.0.0.1 true       a whole connection: handshake, auth, exec, exit (RUNS=20)
#   ssh-refused  the same as a user with no sandbox    the SSH part alone: no guest exec (RUNS=20)
#   sftp-put     sftp put of a SIZE_MIB file           MB/s (TRANSFERS=3)
#   sftp-get     sftp get of it back (byte-identical)  MB/s
#   cat-put      ssh NAME 'cat > f' < file             the same bytes through exec stdin, for comparison
#   cat-get      ssh NAME 'cat f' > file               and through exec stdout
# Prints each run, then p50 of the round trips in ms and the median throughput of each transfer, and how many
# sshd-osgi bundles the server runs (Karaf's console SSH and msb-ssh share one).
#
# Usage: bench/ssh/run.sh      (RUNS=20, TRANSFERS=3, SIZE_MIB=20; ASSEMBLY=...)
set -euo pipefail

RUNS=${RUNS:-20}
TRANSFERS=${TRANSFERS:-3}
SIZE_MIB=${SIZE_MIB:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb" ] || { echo "no assembly with bin/msb at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }

. "$HERE/../server-copy.sh" ssh
MSB="$SERVER/bin/msb"
PORT=$(free_port)
# The running server picks up the new port from etc/ (Karaf's file install reconfigures the component).
echo "port = $PORT" > "$SERVER/etc/io.msb.ssh.cfg"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$WORK/key"
mkdir -p "$MSB_HOME/ssh"
cp "$WORK/key.pub" "$MSB_HOME/ssh/authorized_keys"
NAME=bench-ssh
"$MSB" run -d -n "$NAME" builtin:busybox > /dev/null
OPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
      -o IdentitiesOnly=yes -i "$WORK/key")
for _ in $(seq 120); do
    ssh "${OPTS[@]}" -p "$PORT" "$NAME@127.0.0.1" true 2>/dev/null && break
    sleep 0.5
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

TRUE_MS=""
REFUSED_MS=""
for i in $(seq "$RUNS"); do
    t0=$(now_ms)
    ssh "${OPTS[@]}" -p "$PORT" "$NAME@127.0.0.1" true
    t1=$(now_ms)
    ssh "${OPTS[@]}" -p "$PORT" "no-such-sandbox@127.0.0.1" true 2> /dev/null && exit 1 # refused: exit 1
    t2=$(now_ms)
    echo "ssh-true $((t1 - t0)) ssh-refused $((t2 - t1))"
    TRUE_MS+="$((t1 - t0)) "
    REFUSED_MS+="$((t2 - t1)) "
done

head -c "$((SIZE_MIB << 20))" /dev/urandom > "$WORK/up.bin"
PUT=""
GET=""
CAT_PUT=""
CAT_GET=""
mbps() { awk -v mib="$SIZE_MIB" -v ms="$1" 'BEGIN {printf "%.1f", mib * 1.048576 / (ms / 1000)}'; }
for i in $(seq "$TRANSFERS"); do
    echo "put $WORK/up.bin /tmp/bench.bin" > "$WORK/put"
    echo "get /tmp/bench.bin $WORK/down.bin" > "$WORK/get"
    t0=$(now_ms)
    sftp "${OPTS[@]}" -P "$PORT" -b "$WORK/put" "$NAME@127.0.0.1" > /dev/null
    t1=$(now_ms)
    sftp "${OPTS[@]}" -P "$PORT" -b "$WORK/get" "$NAME@127.0.0.1" > /dev/null
    t2=$(now_ms)
    cmp "$WORK/up.bin" "$WORK/down.bin"
    rm "$WORK/down.bin"
    ssh "${OPTS[@]}" -p "$PORT" "$NAME@127.0.0.1" 'cat > /tmp/cat.bin' < "$WORK/up.bin"
    t3=$(now_ms)
    ssh "${OPTS[@]}" -p "$PORT" "$NAME@127.0.0.1" 'cat /tmp/cat.bin' > "$WORK/down.bin"
    t4=$(now_ms)
    cmp "$WORK/up.bin" "$WORK/down.bin"
    rm "$WORK/down.bin"
    echo "sftp-put $(mbps $((t1 - t0))) MB/s, sftp-get $(mbps $((t2 - t1))) MB/s," \
        "cat-put $(mbps $((t3 - t2))) MB/s, cat-get $(mbps $((t4 - t3))) MB/s"
    PUT+="$(mbps $((t1 - t0))) "
    GET+="$(mbps $((t2 - t1))) "
    CAT_PUT+="$(mbps $((t3 - t2))) "
    CAT_GET+="$(mbps $((t4 - t3))) "
done
SSHD_BUNDLES=$("$SERVER/bin/client" -a "$SSH_PORT" "bundle:list -t 0 -s" < /dev/zero | tr -d '\r' | grep -cE 'org\.apache\.sshd\.osgi[[:space:]]*$' || true)
"$MSB" rm -f "$NAME" > /dev/null 2>&1 || "$MSB" stop "$NAME" > /dev/null 2>&1 || true

accel=$(grep -q 'VMs run under TCG' "$SERVER/data/log/karaf.log" && echo TCG || echo KVM)
echo "--- $(nproc) CPUs, guest under $accel; ${SIZE_MIB} MiB file; sshd-osgi bundles in the server: $SSHD_BUNDLES"
echo "ssh-true p50 $(echo "$TRUE_MS" | median) ms, ssh-refused p50 $(echo "$REFUSED_MS" | median) ms over $RUNS runs"
echo "sftp-put median $(echo "$PUT" | median) MB/s, sftp-get median $(echo "$GET" | median) MB/s over $TRANSFERS transfers"
echo "cat-put median $(echo "$CAT_PUT" | median) MB/s, cat-get median $(echo "$CAT_GET" | median) MB/s (exec stdin/stdout)"
