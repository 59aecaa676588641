#!/usr/bin/env bash
# A short fuzzing pass for CI: builds the four libFuzzer harnesses with the address sanitizer
# and runs each for FUZZ_SMOKE_SECONDS (default 30) from the committed seeds. Fails if any
# target finds a crash, leak, timeout or out-of-memory. See Docs/fuzzing.md for long runs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec nice -n 10 bash Scripts/fuzz.sh all "${FUZZ_SMOKE_SECONDS:-30}"
