#!/bin/sh
# Full-stack VM figures: see README.md. Usage: bench/vm/fullstack.sh [boots=10] [max-concurrent=10]
# Needs the modules installed (mvn -q install -pl e2e -am -DskipTests) and e2e's test classes compiled.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/vm/target"
mkdir -p "$out"
musl-gcc -static -Os -o "$out/poweroff" "$here/poweroff.c"
(cd "$root" && mvn -q -o test-compile -pl e2e && mvn -q -o dependency:build-classpath -pl e2e \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/e2e.classpath")
# Private copies: other builds reinstall the snapshot jars in ~/.m2 while a long run is going.
rm -rf "$out/lib" && mkdir -p "$out/lib/classes"
cp -r "$root/e2e/target/test-classes/." "$out/lib/classes/"
cp=$(tr ':' '\n' <"$out/e2e.classpath" | while read -r jar; do cp "$jar" "$out/lib/" && printf '%s:' "$out/lib/$(basename "$jar")"; done)
cp="$out/lib/classes:$cp"
exec java -cp "$cp" "$here/FullStack.java" "$out/poweroff" "${1:-10}" "${2:-10}"
