#!/usr/bin/env bash
# Runs the libFuzzer harnesses of Fuzz/ (a separate package, so plain `swift build` / `swift test`
# never build them) against the readers of untrusted files. See Docs/fuzzing.md.
#
# Usage: Scripts/fuzz.sh [target|all] [seconds]
#   target   safetensors | numpy | pth | image | onnx | all (default: all, one after the other)
#   seconds  how long each target runs (default: 60)
#
# Environment: FUZZ_FLAGS, extra libFuzzer flags (e.g. "-seed=1", or "-fork=2" for two worker
# processes on a machine with cores to spare).
#
# Each target keeps a working corpus in .build-fuzz/corpus/<target> (seeded from the committed
# corpus, grows across runs), writes crashes to .build-fuzz/artifacts/<target>/ and its log to
# .build-fuzz/logs/<target>.log. Exit status 1 if any target found a crash, leak, timeout or OOM:
# minimise the input (libFuzzer -minimize_crash=1), fix the reader, and commit the input under
# Tests/RectGradFormatsTests/Fixtures/fuzz-regressions/<target>/, where a unit test expects a
# typed error from it (an image: Tests/RectGradImageTests/Corpus/ with a CorpusTests case).
set -euo pipefail
cd "$(dirname "$0")/.."

all=(safetensors numpy pth image onnx)
target="${1:-all}"
seconds="${2:-60}"
case "$target" in
    all) targets=("${all[@]}") ;;
    safetensors|numpy|pth|image|onnx) targets=("$target") ;;
    *) echo "usage: $0 [safetensors|numpy|pth|image|onnx|all] [seconds]" >&2; exit 2 ;;
esac

product() {
    case "$1" in
        safetensors) echo FuzzSafetensors ;; numpy) echo FuzzNumPy ;; pth) echo FuzzPyTorch ;; image) echo FuzzImage ;; onnx) echo FuzzONNX ;;
    esac
}
# Committed seed corpora, with the regression inputs (read only; libFuzzer adds new inputs to the
# working corpus only).
regressions=Tests/RectGradFormatsTests/Fixtures/fuzz-regressions
seeds() {
    case "$1" in
        safetensors) echo Fuzz/Corpus/safetensors "$regressions/safetensors" ;;
        numpy) echo Fuzz/Corpus/numpy "$regressions/numpy" ;;
        pth) echo Tests/RectGradFormatsTests/Fixtures/pth "$regressions/pth" ;;
        image) echo Tests/RectGradImageTests/Corpus ;;
        onnx) echo Fuzz/Corpus/onnx Tests/RectGradONNXTests/Fixtures/malformed ;;
    esac
}
# The largest input generated: enough for a few ZIP entries or a small image, small enough to
# keep thousands of executions per second.
max_len() {
    case "$1" in safetensors) echo 8192 ;; numpy) echo 4096 ;; pth) echo 16384 ;; image) echo 32768 ;; onnx) echo 32768 ;; esac
}

# One sanitizer build of the harnesses asked for; the package's modules and the C bridge to
# libpng / libjpeg are instrumented too (the system libraries themselves are not).
# SwiftPM hands `--sanitize=fuzzer --sanitize=address` to the Swift compiler as two flags, of
# which the driver keeps only the last, in an order that varies from build to build: without the
# combined `-sanitize=fuzzer,address` below a build silently lacks either the coverage counters
# or the address sanitizer.
build_args=(-c release --package-path Fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
if [ "${#targets[@]}" -eq 1 ]; then build_args+=(--product "$(product "${targets[0]}")"); fi
echo "== building $(for t in "${targets[@]}"; do printf '%s ' "$(product "$t")"; done)(fuzzer + address sanitizer)"
swift build "${build_args[@]}"
bin="$(swift build "${build_args[@]}" --show-bin-path)"

found=0
for t in "${targets[@]}"; do
    exe="$bin/$(product "$t")"
    # A harness without coverage counters would "fuzz" blindly: refuse to run it.
    if ! readelf -S "$exe" | grep __sancov_cntrs > /dev/null; then
        echo "error: $exe has no coverage instrumentation; remove Fuzz/.build and rebuild" >&2
        exit 3
    fi
    corpus=".build-fuzz/corpus/$t"; artifacts=".build-fuzz/artifacts/$t/"; log=".build-fuzz/logs/$t.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    echo "== fuzzing $t for ${seconds}s (log: $log)"
    status=0
    # shellcheck disable=SC2046,SC2086
    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" "$exe" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len="$(max_len "$t")" -dict="Fuzz/Dictionaries/$t.dict" -print_final_stats=1 \
        -artifact_prefix="$artifacts" ${FUZZ_FLAGS:-} \
        "$corpus" $(seeds "$t") > "$log" 2>&1 || status=$?
    grep -E "^(stat::|Done |#[0-9]+[[:space:]]+DONE)" "$log" | sed "s/^/   $t: /" || true
    if [ "$status" -ne 0 ]; then
        found=1
        echo "!! $t: libFuzzer exited with $status; findings in $artifacts:" >&2
        grep -E "ERROR: |SUMMARY: |Test unit written" "$log" | head -5 >&2 || true
    fi
done
exit "$found"
