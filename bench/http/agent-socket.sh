#!/usr/bin/env bash
#
# AgentSocketBench (see README.md) against a private copy of the server distribution: free loopback ports, a
# temporary MSB_HOME whose kernel/ is the shared cache ~/.msb/kernel. Builds nothing: needs
# distribution/target/assembly and itests/target/test-classes (the client).
#
# Usage: bench/http/agent-socket.sh [CALLS=10000] [IMAGE=builtin:busybox]     (ASSEMBLY=... to use another tree)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ASSEMBLY=${ASSEMBLY:-$ROOT/distribution/target/assembly}
CLIENT=$ROOT/itests/target/test-classes
[ -x "$ASSEMBLY/bin/msb-server" ] || { echo "no assembly at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }
[ -f "$CLIENT/io/msb/itests/AgentSocketClient.class" ] || { echo "no $CLIENT: mvn test-compile -pl itests" >&2; exit 1; }

WORK=$(mktemp -d /tmp/msb-bench-ws.XXXXXX)
SERVER="$WORK/server"
export MSB_HOME="$WORK/home"
cleanup() {
    "$SERVER/bin/msb-server" stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
set_prop() { # FILE KEY VALUE
    sed -i "/^[[:space:]]*$2[[:space:]]*[=:]/d" "$1"
    echo "$2 = $3" >> "$1"
}

cp -a "$ASSEMBLY" "$SERVER"
mkdir -p "$MSB_HOME" "$HOME/.msb/kernel"
ln -s "$HOME/.msb/kernel" "$MSB_HOME/kernel"
HTTP_PORT=$(free_port)
set_prop "$SERVER/etc/org.apache.karaf.shell.cfg" sshPort "$(free_port)"
set_prop "$SERVER/etc/org.apache.felix.http.cfg" org.osgi.service.http.port "$HTTP_PORT"
set_prop "$SERVER/etc/system.properties" org.osgi.service.http.port "$HTTP_PORT"
"$SERVER/bin/msb-server" start > /dev/null
export MSB_API_URL="http://127.0.0.1:$HTTP_PORT"
unset MSB_API_KEY
java -cp "$CLIENT" "$HERE/AgentSocketBench.java" "${1:-10000}" "${2:-builtin:busybox}"
echo "server threads at the end: $(ls /proc/"$(cat "$SERVER/karaf.pid" 2>/dev/null || echo 0)"/task 2>/dev/null | wc -l)"
