#!/bin/sh
# Builds msb's own guest kernel (decision 1900) from Debian's linux-source-6.1 without installing anything on the
# host: apt-get download + dpkg-deb -x into a private work dir, `make allnoconfig` with the fragment
# msb-kernel.config (next to this script) appended, `make olddefconfig`, a check that every option the fragment
# sets survived, then `nice make bzImage`. No modules: everything the guest needs is built in.
# Usage: build-kernel.sh CACHE_DIR [JOBS]
# Prints the build directory CACHE_DIR/msb-<source version>-<hash>/ (bzImage, config, build.log, .complete), where
# <hash> is the first 12 hex digits of sha256(fragment + this script): the backend boots only a build of the fragment
# it carries. Idempotent: a complete build is reused; a build in progress elsewhere is waited for (flock).
#        build-kernel.sh --check FRAGMENT CONFIG   (lists the fragment's options CONFIG lacks; exit 1 if any)
set -eu

# The options (CONFIG_X=v and "# CONFIG_X is not set") of fragment $1 that config $2 does not have as set.
dropped() {
    grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$1" | while IFS= read -r line; do
        grep -qxF "$line" "$2" || echo "  $line"
    done
}

if [ "${1:-}" = --check ]; then
    lost=$(dropped "${2:?fragment}" "${3:?config}")
    [ -z "$lost" ] && exit 0
    echo "build-kernel: make olddefconfig dropped options of $(basename "$2") (unmet dependencies?):"
    echo "$lost"
    exit 1
fi

cache=${1:?usage: build-kernel.sh CACHE_DIR [JOBS]}
jobs=${2:-$(nproc 2>/dev/null || echo 1)}
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
fragment=${MSB_KERNEL_FRAGMENT:-$here/msb-kernel.config}
series=6.1
src=linux-source-$series

[ -f "$fragment" ] || { echo "build-kernel: no config fragment at $fragment" >&2; exit 1; }
hash=$(cat "$fragment" "$self" | sha256sum | cut -c1-12)
ver=$(apt-cache policy "$src" 2>/dev/null | sed -n 's/^ *Candidate: //p')
[ "$ver" = "(none)" ] && ver=

# A complete build of this fragment: the one of apt's candidate source, or any when apt knows none (offline).
complete() {
    if [ -n "$ver" ]; then
        [ -f "$cache/msb-$ver-$hash/.complete" ] && echo "$cache/msb-$ver-$hash"
    else
        for d in "$cache"/msb-*-"$hash"; do [ -f "$d/.complete" ] && echo "$d" && break; done
    fi
    return 0
}

mkdir -p "$cache"
done_dir=$(complete)
[ -n "$done_dir" ] && { echo "$done_dir"; exit 0; }
[ -n "$ver" ] || { echo "build-kernel: apt knows no $src (run apt-get update)" >&2; exit 1; }
for tool in make gcc flex bison bc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-kernel: $tool is missing (scripts/setup installs it)" >&2; exit 1; }
done

# One build at a time per cache; whoever waited finds the other's result.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.build-kernel.lock"
    flock 9
    done_dir=$(complete)
    [ -n "$done_dir" ] && { echo "$done_dir"; exit 0; }
fi

dest="$cache/msb-$ver-$hash"
work=$(mktemp -d "$cache/.build-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
out="$work/out"
mkdir "$out"
log="$out/build.log"
fail() {
    echo "build-kernel: $1" >&2
    if [ -f "$log" ]; then
        cp "$log" "$cache/build-kernel.failed.log" 2>/dev/null || true
        tail -n 20 "$log" >&2
    fi
    exit 1
}

t0=$(date +%s)
(cd "$work" && apt-get download -q "$src=$ver") >>"$log" 2>&1 || fail "apt-get download $src=$ver failed"
dpkg-deb -x "$work/${src}_${ver}_all.deb" "$work/root" >>"$log" 2>&1 || fail "dpkg-deb -x failed"
tar -xf "$work/root/usr/src/$src.tar.xz" -C "$work" >>"$log" 2>&1 || fail "unpacking $src.tar.xz failed"
rm -rf "$work/root" "$work/${src}_${ver}_all.deb"
t1=$(date +%s)

k="$work/$src"
export ARCH=x86_64
# allnoconfig, the fragment appended (a later assignment wins), then defaults for whatever it made visible.
make -C "$k" -s allnoconfig >>"$log" 2>&1 || fail "make allnoconfig failed"
cat "$fragment" >>"$k/.config"
make -C "$k" -s olddefconfig >>"$log" 2>&1 || fail "make olddefconfig failed"
lost=$(dropped "$fragment" "$k/.config")
[ -z "$lost" ] || fail "make olddefconfig dropped options of $(basename "$fragment") (unmet dependencies?):
$lost"
nice -n 19 make -C "$k" -j"$jobs" bzImage >>"$log" 2>&1 || fail "make bzImage failed"
t2=$(date +%s)
cp "$k/arch/x86/boot/bzImage" "$out/bzImage"
cp "$k/.config" "$out/config"
echo "build-kernel: $src $ver, fragment $hash: extract $((t1 - t0)) s, compile $((t2 - t1)) s with -j$jobs" | tee -a "$log" >&2
touch "$out/.complete"
# Another builder without flock may have won the race; keep its copy.
mv -T "$out" "$dest" 2>/dev/null || [ -f "$dest/.complete" ] || fail "cannot move the build to $dest"
echo "$dest"
