#!/usr/bin/env bash
# The main job on a fresh machine with only the Swift toolchain: checks (and when it can,
# installs) the system libraries, then runs the demo. Arguments go to `rectgrad demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/system-packages.sh
rg_ensure_system_packages
swift run -c release rectgrad demo "$@"
