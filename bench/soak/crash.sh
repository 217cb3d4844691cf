#!/bin/sh
# kill -9 soak of the runtime: see README.md. Usage: bench/soak/crash.sh [iterations=20] [max-kill-ms=30000] [seed]
# Runs on e2e's class path through bench/vm/stack.sh (modules installed: mvn -q install -pl e2e -am -DskipTests).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../vm/stack.sh" ../soak/CrashSoak "$@"
