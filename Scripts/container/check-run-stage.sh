#!/usr/bin/env bash
# Checks the Dockerfile's run stage without a container daemon: builds the CLI as the build stage
# does (`--static-swift-stdlib`), makes a minimal Debian bookworm tree with exactly the runtime
# packages the Dockerfile's run stage installs (read from the Dockerfile, so the two stay in step),
# copies the binary and its resource bundle to /usr/local/bin as the Dockerfile does, and runs a
# dataset attribution inside the tree with chroot. The maps must equal, byte for byte, those of the
# same command run by the same binary on the host, and the index rows must agree apart from their
# timings.
#
#   sudo bash Scripts/container/check-run-stage.sh [WORKDIR]
#
# Needs root (chroot, mount), `mmdebstrap` (apt-get install mmdebstrap) and network access to
# deb.debian.org. WORKDIR (default: a new temporary folder) receives the build, the tree and the
# outputs; it is left in place for inspection. Not part of CI (a tree takes about 1.5 min to make
# and the static build several minutes).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
package="$(cd "$here/../.." && pwd)"
dockerfile="$here/Dockerfile"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

if [[ $EUID -ne 0 ]]; then echo "check-run-stage: needs root (chroot, mount)" >&2; exit 2; fi
command -v mmdebstrap >/dev/null || { echo "check-run-stage: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 2; }

# The run stage's packages: the `apt-get install` line after `FROM debian:bookworm-slim`.
packages="$(awk '/^FROM debian:bookworm-slim/ {run = 1} run && /apt-get install/ {
    for (i = 1; i <= NF; i++) if ($i !~ /^-/ && $i != "apt-get" && $i != "install" && $i != "&&" && $i != "\\") print $i
    exit }' "$dockerfile" | paste -sd, -)"
[[ -n "$packages" ]] || { echo "check-run-stage: no run-stage apt-get install line in $dockerfile" >&2; exit 1; }
echo "== run-stage packages (from the Dockerfile): $packages"

echo "== build stage: swift build -c release --product rectgrad --static-swift-stdlib"
build="$work/build"
(cd "$package" && swift build -c release --product rectgrad --static-swift-stdlib --scratch-path "$build" >"$work/build.log" 2>&1) \
    || { tail -20 "$work/build.log"; echo "check-run-stage: the static build failed" >&2; exit 1; }
binary="$build/release/rectgrad"
echo "shared libraries the binary needs:"
ldd "$binary" | awk '{print "  " $1}'

tree="$work/rootfs"
if [[ ! -x "$tree/bin/sh" ]]; then
    echo "== tree: mmdebstrap --variant=minbase --include=$packages bookworm"
    mmdebstrap --variant=minbase --include="$packages" bookworm "$tree" http://deb.debian.org/debian >"$work/mmdebstrap.log" 2>&1 \
        || { tail -20 "$work/mmdebstrap.log"; echo "check-run-stage: mmdebstrap failed" >&2; exit 1; }
fi
cp "$binary" "$tree/usr/local/bin/rectgrad"
rm -rf "$tree/usr/local/bin/RectifiedGradient_RectGradData.resources"
cp -R "$build/release/RectifiedGradient_RectGradData.resources" "$tree/usr/local/bin/"

echo "== data: 40 images of the built-in dataset"
rm -rf "$tree/data" "$work/host-maps"
mkdir -p "$tree/data"
"$binary" dataset export --count 40 --out "$tree/data/set" >/dev/null

command=(attribute --model cifar-cnn --method rectgrad,saliency --batch-size 8 --manifest)
echo "== host: rectgrad ${command[*]} …"
"$binary" "${command[@]}" "$tree/data/set/manifest.csv" --output "$work/host-maps" 2>/dev/null

echo "== tree: chroot … /usr/local/bin/rectgrad ${command[*]} …"
# Swift's runtime reads a static executable's arguments from /proc/self/cmdline: a container
# mounts /proc, a bare chroot must do it itself.
mount -t proc proc "$tree/proc"
trap 'umount "$tree/proc" 2>/dev/null || true' EXIT
status=0
chroot "$tree" /usr/local/bin/rectgrad "${command[@]}" /data/set/manifest.csv --output /data/maps 2>"$work/chroot.err" || status=$?
umount "$tree/proc"; trap - EXIT
if [[ $status -ne 0 ]]; then cat "$work/chroot.err"; echo "FAIL: the CLI exited with status $status in the tree" >&2; exit 1; fi

echo "== compare"
if ! diff -r -q -x 'index*.jsonl' "$work/host-maps" "$tree/data/maps"; then echo "FAIL: map files differ" >&2; exit 1; fi
strip_timings() { sed -E 's/"seconds":[-0-9.eE+]+//g' "$1"; }
if ! diff <(strip_timings "$work/host-maps/index.jsonl") <(strip_timings "$tree/data/maps/index.jsonl") >/dev/null; then
    echo "FAIL: index rows differ beyond their timings" >&2; exit 1
fi
files="$(find "$tree/data/maps" -type f | wc -l)"
echo "PASS: $files files in the tree's output, the maps byte-identical to the host's, the index rows equal apart from timings"
