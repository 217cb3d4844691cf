#!/bin/sh
# Runs one of this folder's full-stack programs on e2e's class path: bench/vm/stack.sh FullStack|BootTrace|InitHandoff|Mounts [args…],
# or a class of e2e's tests by its name (io.msb.e2e.PauseBench); JAVA_OPTS go to that JVM.
# Needs the modules installed (mvn -q install -pl e2e -am -DskipTests). MAVEN_REPO=<dir> uses another local
# Maven repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/bench/vm/target"
program=$1
shift
mkdir -p "$out"
repo=${MAVEN_REPO:+-Dmaven.repo.local=$MAVEN_REPO}
(cd "$root" && mvn -q -o $repo test-compile -pl e2e && mvn -q -o $repo dependency:build-classpath -pl e2e \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/e2e.classpath")
# Private copies: other builds reinstall the snapshot jars in ~/.m2 while a long run is going.
rm -rf "$out/lib" && mkdir -p "$out/lib/classes"
cp -r "$root/e2e/target/test-classes/." "$out/lib/classes/"
cp=$(tr ':' '\n' <"$out/e2e.classpath" | while read -r jar; do cp "$jar" "$out/lib/" && printf '%s:' "$out/lib/$(basename "$jar")"; done)
case $program in
    *.*) exec java ${JAVA_OPTS:-} -cp "$out/lib/classes:$cp" "$program" "$@" ;; # a class of e2e's tests (bench/pause)
    *) exec java ${JAVA_OPTS:-} -cp "$out/lib/classes:$cp" "$here/$program.java" "$@" ;;
esac
