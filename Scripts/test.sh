#!/usr/bin/env bash
# The test suite on a fresh machine with only the Swift toolchain (what CI runs): checks (and when
# it can, installs) the system libraries and Chromium (the report-rendering test), then runs the
# tests in release mode and checks that the README's library example builds in a dependent package.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/system-packages.sh
rg_ensure_system_packages --browser

swift test -c release

# The README's library example must compile and run unchanged in a package that depends on this one.
bash Scripts/check-readme-example.sh
