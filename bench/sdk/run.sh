#!/usr/bin/env bash
#
# microsandbox's Node SDK (0.6.18, cloud mode) against a private copy of the server distribution (free loopback
# ports, a temporary MSB_HOME whose kernel/ is the shared cache ~/.msb/kernel): per-call latency as the SDK sees it
# and N exec/fs calls from one process against one sandbox (sdk-calls.mjs). Not in CI: 10,000 calls take minutes.
#
# Usage: bench/sdk/run.sh [CALLS=10000] [CREATE_SAMPLES=5]      (ASSEMBLY=...; needs node >= 20 and npm)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ASSEMBLY=${ASSEMBLY:-$HERE/../../distribution/target/assembly}
[ -x "$ASSEMBLY/bin/msb-server" ] || { echo "no assembly at $ASSEMBLY: mvn install -pl distribution -am" >&2; exit 1; }
SDK=${XDG_CACHE_HOME:-$HOME/.cache}/msb/node-sdk-bench
if [ ! -f "$SDK/node_modules/microsandbox/package.json" ]; then
    mkdir -p "$SDK"
    npm install --no-audit --no-fund --loglevel=error --prefix "$SDK" \
        microsandbox@0.6.18 @superradcompany/microsandbox-linux-x64-gnu@0.6.18
fi
cp "$HERE/sdk-calls.mjs" "$SDK/"

. "$HERE/../server-copy.sh" sdk
MSB_API_KEY=$(cat "$MSB_HOME/api-key") node "$SDK/sdk-calls.mjs" "${1:-10000}" "${2:-5}"
