#!/usr/bin/env bash
# Builds the package's C targets for aarch64 and checks them under qemu, and does the same
# natively (x86-64: the AVX2/AVX-512 paths too). The Swift targets are NOT built here: that needs
# a Swift SDK for aarch64 (see Docs/platforms.md).
#
#   bash Scripts/check-arm64-c.sh [--install] [--compilers "clang gcc"]
#
# 1. compiles every source of CElementwise and CImageCodecs (COpenBLAS is a system library with
#    no C source) with SwiftPM's flags for a C target (-O2 as in release, -O0 as in debug, -fPIC,
#    -DSWIFT_PACKAGE=1, the target's include folder) plus -Wall -Wextra -Werror, for aarch64 and
#    for the host, with each compiler named (clang: the one SwiftPM uses; gcc: the cross and host
#    GCC);
# 2. links Scripts/c-kernels/check_c_kernels.c (references written from the kernels' definitions)
#    against those objects, at -O2 and at -O0, with libpng and libjpeg, and runs it: natively, and
#    for aarch64 under qemu-aarch64.
#
# Needs clang (the Swift toolchain's), crossbuild-essential-arm64, qemu-user, and the arm64
# libpng/libjpeg development files (multiarch). It installs nothing unless --install is given;
# --install runs apt-get (as root): dpkg --add-architecture arm64, crossbuild-essential-arm64,
# qemu-user, libpng-dev:arm64, libjpeg62-turbo-dev:arm64.
# Prints PASS/FAIL per step and exits non-zero when any step fails. Not part of .ci/run.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INSTALL=0
COMPILERS="clang gcc"
while [ $# -gt 0 ]; do
    case "$1" in
        --install) INSTALL=1 ;;
        --compilers) shift; COMPILERS="${1:-}" ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "check-arm64-c: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for compiler in $COMPILERS; do
    case "$compiler" in clang|gcc) ;; *) echo "check-arm64-c: --compilers takes clang and/or gcc, not '$compiler'" >&2; exit 2 ;; esac
done

if [ "$INSTALL" = 1 ]; then
    dpkg --add-architecture arm64 && apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-remove \
            crossbuild-essential-arm64 qemu-user libpng-dev:arm64 libjpeg62-turbo-dev:arm64 \
        || { echo "check-arm64-c: --install failed" >&2; exit 2; }
fi

missing=()
command -v clang >/dev/null || missing+=("clang (the Swift toolchain's)")
command -v gcc >/dev/null || missing+=("gcc")
command -v aarch64-linux-gnu-gcc >/dev/null || missing+=("aarch64-linux-gnu-gcc (crossbuild-essential-arm64)")
command -v qemu-aarch64 >/dev/null || missing+=("qemu-aarch64 (qemu-user)")
[ -e /usr/lib/aarch64-linux-gnu/libpng16.so ] || missing+=("arm64 libpng (libpng-dev:arm64)")
[ -e /usr/include/aarch64-linux-gnu/jconfig.h ] || missing+=("arm64 libjpeg (libjpeg62-turbo-dev:arm64)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'check-arm64-c: missing: %s\n' "${missing[@]}" >&2
    echo "check-arm64-c: run with --install (apt-get, as root) or install them yourself" >&2
    exit 2
fi

WORK="$(mktemp -d /tmp/check-arm64-c.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
CORPUS="$ROOT/Tests/RectGradImageTests/Corpus"
SOURCES="$ROOT/Sources"
HOST="$(uname -m)"
passed=0
failed=0

step() { # name, command...
    local name="$1"; shift
    if "$@" >"$WORK/step.log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     /' "$WORK/step.log" | head -40
        return 1
    fi
}

# compile_target ARCH COMPILER OPT TARGET: every .c of Sources/TARGET into $WORK/ARCH-COMPILER-OPT/TARGET/.
compile_target() {
    local arch="$1" compiler="$2" opt="$3" target="$4" out="$WORK/$1-$2$3/$4"
    local cc flags=(-DSWIFT_PACKAGE=1 -fPIC "$opt" -Wall -Wextra -Werror -I "$SOURCES/$target/include")
    mkdir -p "$out"
    if [ "$compiler" = clang ]; then
        cc=clang
        flags+=(-fblocks)
        [ "$arch" = aarch64 ] && flags+=(-target aarch64-linux-gnu)
    else
        cc=gcc
        [ "$arch" = aarch64 ] && cc=aarch64-linux-gnu-gcc
    fi
    local source
    for source in "$SOURCES/$target"/*.c; do
        "$cc" "${flags[@]}" -c "$source" -o "$out/$(basename "$source" .c).o" || return 1
    done
}

# link_harness ARCH COMPILER OPT: the harness (always -O2, no contraction) against that build.
link_harness() {
    local arch="$1" compiler="$2" opt="$3" build="$WORK/$1-$2$3"
    local cc=gcc target=()
    if [ "$compiler" = clang ]; then
        cc=clang
        [ "$arch" = aarch64 ] && target=(-target aarch64-linux-gnu)
    elif [ "$arch" = aarch64 ]; then
        cc=aarch64-linux-gnu-gcc
    fi
    "$cc" "${target[@]}" -O2 -Wall -Wextra -Werror -ffp-contract=off -DRG_CHECK_CODECS \
        -I "$SOURCES/CElementwise/include" -I "$SOURCES/CImageCodecs/include" \
        "$ROOT/Scripts/c-kernels/check_c_kernels.c" "$build"/CElementwise/*.o "$build"/CImageCodecs/*.o \
        -lpng -ljpeg -lm -o "$build/check_c_kernels"
}

run_harness() {
    local arch="$1" compiler="$2" opt="$3" build="$WORK/$1-$2$3"
    if [ "$arch" = aarch64 ]; then
        qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/check_c_kernels" "$CORPUS" >"$build/run.log" 2>&1
    else
        "$build/check_c_kernels" "$CORPUS" >"$build/run.log" 2>&1
    fi
    local status=$?
    grep -E '^(FAIL|c-kernels \()|levels run' "$build/run.log"
    return $status
}

echo "== C targets of $(basename "$ROOT"), host $HOST; compilers: $COMPILERS"
for arch in aarch64 "$HOST"; do
    for compiler in $COMPILERS; do
        for opt in -O2 -O0; do
            ok=1
            for target in CElementwise CImageCodecs; do
                step "compile $target for $arch with $compiler $opt -Wall -Wextra -Werror" compile_target "$arch" "$compiler" "$opt" "$target" || ok=0
            done
            [ "$ok" = 1 ] || continue
            step "link the harness for $arch ($compiler $opt objects)" link_harness "$arch" "$compiler" "$opt" || continue
            step "run the harness on $arch ($compiler $opt)$([ "$arch" = aarch64 ] && echo ' under qemu-aarch64')" run_harness "$arch" "$compiler" "$opt" \
                && sed 's/^/     /' "$WORK/$arch-$compiler$opt/run.log" | grep -E 'c-kernels \(|levels run'
        done
    done
done
echo "check-arm64-c: $passed passed, $failed failed"
[ "$failed" = 0 ]
