#!/bin/sh
# kill -9 soak of the runtime: see README.md. Usage: bench/soak/crash.sh [iterations=20] [max-kill-ms=30000] [seed]
# Needs the modules installed (mvn -q install -pl e2e -am -DskipTests), QEMU and the e2e host tools.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/target"
mkdir -p "$out"
(cd "$root" && mvn -q -o test-compile -pl e2e && mvn -q -o dependency:build-classpath -pl e2e \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/e2e.classpath")
# Private copies: other builds reinstall the snapshot jars in ~/.m2 while a long run is going.
rm -rf "$out/lib" && mkdir -p "$out/lib/classes"
cp -r "$root/e2e/target/test-classes/." "$out/lib/classes/"
cp=$(tr ':' '\n' <"$out/e2e.classpath" | while read -r jar; do cp "$jar" "$out/lib/" && printf '%s:' "$out/lib/$(basename "$jar")"; done)
exec java -cp "$out/lib/classes:$cp" "$here/CrashSoak.java" "$@"
