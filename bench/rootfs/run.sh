#!/bin/sh
# Rootfs benchmark: EROFS writer throughput vs mkfs.erofs, cold 3-layer materialize, upper disk cost.
# Needs: the modules installed (mvn install -pl e2e -am -DskipTests), erofs-utils, e2fsprogs, zstd,
# and a tree: by default a Debian bookworm minbase made once with
#   debootstrap --variant=minbase bookworm /var/cache/msb-bench/minbase-bookworm http://deb.debian.org/debian
# (or pass any directory as $1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tree=${1:-/var/cache/msb-bench/minbase-bookworm}
work=${BENCH_WORK:-/var/tmp/msb-bench-rootfs}
[ -d "$tree" ] || { echo "no tree at $tree (see the comment at the top of $0)"; exit 2; }
mkdir -p "$work"
if [ ! -f "$work/layer3.tar.zst" ]; then
  rm -rf "$work/tree" && cp -a "$tree" "$work/tree"
  # drop apt's package lists and download cache, as published Debian images do
  rm -rf "$work/tree/var/lib/apt/lists/"* "$work/tree/var/cache/apt/"*.bin "$work/tree/var/cache/apt/archives/"*.deb
  (cd "$work/tree" && tar --numeric-owner --xattrs -cf "$work/tree.tar" .)
  # three layers of similar size: the base system, usr/lib, usr/share
  (cd "$work/tree" && tar --numeric-owner --xattrs --exclude=./usr/lib --exclude=./usr/share -cf "$work/layer1.tar" .)
  (cd "$work/tree" && tar --numeric-owner --xattrs -cf "$work/layer2.tar" ./usr/lib)
  (cd "$work/tree" && tar --numeric-owner --xattrs -cf "$work/layer3.tar" ./usr/share)
  for i in 1 2 3; do
    gzip -6 -c "$work/layer$i.tar" > "$work/layer$i.tar.gz"
    zstd -q -3 -f "$work/layer$i.tar" -o "$work/layer$i.tar.zst"
    rm "$work/layer$i.tar"
  done
fi
bytes=$(find "$work/tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
# e2e's class path: the rootfs bundle, io.msb.testing (EmbeddedMsb) and the framework it starts the bundle in
cp=$(cd "$root" && mvn -q -o dependency:build-classpath -pl e2e -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
java -cp "$cp" "$here/RootfsBench.java" "$work" "$bytes"
