#!/bin/sh
# Builds (once) a two-layer OCI image layout of Debian bookworm: layer 1 = minbase, layer 2 = <packages> (default
# python3-minimal) added and /etc/issue.net deleted (umoci writes the .wh. whiteout).
# Usage: debian-python-image.sh <cache-dir> [<name> <packages>]; the layout is <cache-dir>/<name>-oci (default
# debian-python). Prints the layout path. Needs root, debootstrap, umoci, rsync and the Debian mirror on the first
# run only.
set -euf
cache=${1:-/var/cache/msb-test}
name=${2:-debian-python}
packages=${3:-python3-minimal}
layout=$cache/$name-oci
[ -f "$layout/index.json" ] && { echo "$layout"; exit 0; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=$cache/minbase-bookworm
# the rootfs benchmark's copy serves as well; otherwise debootstrap one
[ -d "$base" ] || { [ -d /var/cache/msb-bench/minbase-bookworm ] && base=/var/cache/msb-bench/minbase-bookworm; }
if [ ! -d "$base" ]; then
  debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >&2 && mv "$base.tmp" "$base"
fi
work=$cache/$name.work
# apt's package lists and downloaded .debs stay out, as in published Debian images
slim="--exclude=/var/lib/apt/lists/* --exclude=/var/cache/apt/*.bin --exclude=/var/cache/apt/archives/*.deb"
rm -rf "$work" "$layout.tmp" && mkdir -p "$work"
cp -a "$base" "$work/py"
chroot "$work/py" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages && apt-get clean" >&2
umoci init --layout "$layout.tmp" >&2
umoci new --image "$layout.tmp:bookworm" >&2
umoci config --image "$layout.tmp:bookworm" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.cmd /bin/bash >&2
umoci unpack --image "$layout.tmp:bookworm" "$work/bundle" >&2
# layer 1: the base system without apt's package lists, as published Debian images are
rsync -a --delete $slim "$base/" "$work/bundle/rootfs/"
umoci repack --image "$layout.tmp:bookworm" "$work/bundle" >&2
# layer 2, diffed against a fresh unpack of layer 1: the packages added, /etc/issue.net deleted
umoci unpack --image "$layout.tmp:bookworm" "$work/bundle2" >&2
rsync -a --delete $slim "$work/py/" "$work/bundle2/rootfs/"
rm "$work/bundle2/rootfs/etc/issue.net"
umoci repack --image "$layout.tmp:bookworm" "$work/bundle2" >&2
umoci gc --layout "$layout.tmp" >&2
rm -rf "$work"
mv "$layout.tmp" "$layout"
echo "$layout"
