#!/bin/sh
# Fetches Debian's cloud kernel without installing it on the host:
# apt-get download of the versioned image package, unpacked with dpkg-deb -x.
# Usage: fetch-kernel.sh CACHE_DIR [META_PACKAGE]
# Prints the unpacked directory (containing boot/vmlinuz-* and lib/modules/*).
# Idempotent: a finished unpack is marked by a .complete file and reused.
set -eu
cache=${1:?usage: fetch-kernel.sh CACHE_DIR [META_PACKAGE]}
meta=${2:-linux-image-cloud-amd64}

# The meta package only depends on the versioned image package that holds the files.
pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve the kernel package behind $meta (run apt-get update?)" >&2; exit 1; }
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "fetch-kernel: no candidate version for $pkg" >&2; exit 1; }

dest="$cache/${pkg}_$ver"
if [ -f "$dest/.complete" ]; then
    echo "$dest"
    exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
(cd "$work" && apt-get download -q "$pkg=$ver" >&2)
deb=$(ls "$work"/*.deb)
mkdir "$work/root"
dpkg-deb -x "$deb" "$work/root"
ls "$work"/root/boot/vmlinuz-* >/dev/null 2>&1 || { echo "fetch-kernel: $deb has no boot/vmlinuz-*" >&2; exit 1; }
touch "$work/root/.complete"
# Another fetcher may have won the race; keep its copy.
mv -T "$work/root" "$dest" 2>/dev/null || [ -f "$dest/.complete" ]
echo "$dest"
