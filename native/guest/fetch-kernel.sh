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

# Debian's cloud kernel has no 9p (bind mounts, decision 1201): fs/9p and net/9p of the matching linux-source, built
# out of tree against the matching headers into lib/modules/<release>/extra/9p, marked by .9p-complete. Headers, kbuild
# and source are apt-get downloaded and unpacked into a private directory (their symlinks are relative), never
# installed. Without a compiler, make or the packages the kernel stays usable; a sandbox asking for a bind mount then
# fails with a message that names the missing modules.
# Builds into work dir $1; every step checked (set -e does not hold in a function called under ||).
build_9p_in() {
    w=$1
    cd "$w" || return 1
    apt-get download -q "linux-source-$series=$ver" "linux-headers-$release=$ver" \
        "linux-headers-${release%-*-*}-common=$ver" "linux-kbuild-$series=$ver" >&2 || return 1
    for d in ./*.deb; do dpkg-deb -x "$d" root || return 1; done
    tar -xf "root/usr/src/linux-source-$series.tar.xz" "linux-source-$series/fs/9p" "linux-source-$series/net/9p" \
        || return 1
    hdr="$w/root/usr/src/linux-headers-$release"
    src="$w/linux-source-$series"
    # The flavour's Makefile includes the common headers by their installed path: point it at the unpacked copy.
    sed -i "s|^include /usr/src/|include $w/root/usr/src/|" "$hdr/Makefile" || return 1
    make -s -C "$hdr" M="$src/net/9p" CONFIG_NET_9P=m CONFIG_NET_9P_VIRTIO=m modules >&2 || return 1
    make -s -C "$hdr" M="$src/fs/9p" CONFIG_9P_FS=m KBUILD_EXTRA_SYMBOLS="$src/net/9p/Module.symvers" modules >&2 \
        || return 1
    mkdir -p out "$dest/lib/modules/$release/extra" || return 1
    cp "$src/net/9p/9pnet.ko" "$src/net/9p/9pnet_virtio.ko" "$src/fs/9p/9p.ko" out/ || return 1
    strip --strip-debug out/*.ko || return 1
    rm -rf "$dest/lib/modules/$release/extra/9p"
    mv -T out "$dest/lib/modules/$release/extra/9p" && touch "$dest/.9p-complete"
}

build_9p() {
    [ -f "$dest/.9p-complete" ] && return 0
    command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 \
        || { echo "fetch-kernel: no gcc/make: the kernel gets no 9p modules (no bind mounts)" >&2; return 1; }
    release=$(basename "$(ls -d "$dest"/lib/modules/*/ | head -n 1)")
    series=$(echo "$release" | cut -d. -f1,2)
    work9p=$(mktemp -d "$cache/.9p.XXXXXX")
    if ! (build_9p_in "$work9p"); then
        rm -rf "$work9p"
        echo "fetch-kernel: building the 9p modules failed: the kernel gets none (no bind mounts)" >&2
        return 1
    fi
    rm -rf "$work9p"
}

if [ -f "$dest/.complete" ]; then
    build_9p || true
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
build_9p || true
echo "$dest"
