# Sourced by benches (bash) that run against a private copy of the server distribution: copies $ASSEMBLY into a
# temporary directory, gives it free loopback ports and a temporary MSB_HOME whose kernel/ is the shared cache
# ~/.msb/kernel, starts it and stops it (and removes the copy) when the script exits.
# Usage: ASSEMBLY=... . bench/server-copy.sh NAME; then $WORK, $SERVER, $MSB_HOME, $HTTP_PORT, $SSH_PORT and
# MSB_API_URL are set.

WORK=$(mktemp -d "/tmp/msb-bench-$1.XXXXXX")
SERVER="$WORK/server"
export MSB_HOME="$WORK/home"
server_copy_cleanup() {
    "$SERVER/bin/msb-server" stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap server_copy_cleanup EXIT

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
SSH_PORT=$(free_port)
HTTP_PORT=$(free_port)
set_prop "$SERVER/etc/org.apache.karaf.shell.cfg" sshPort "$SSH_PORT"
set_prop "$SERVER/etc/org.apache.felix.http.cfg" org.osgi.service.http.port "$HTTP_PORT"
set_prop "$SERVER/etc/system.properties" org.osgi.service.http.port "$HTTP_PORT"
"$SERVER/bin/msb-server" start > /dev/null
export MSB_API_URL="http://127.0.0.1:$HTTP_PORT"
unset MSB_API_KEY
