#!/usr/bin/env bash
# Checks the system libraries this package links against and installs the missing ones.
# Sourced by Scripts/demo.sh and Scripts/test.sh; usable on its own:
#   bash Scripts/system-packages.sh            # libraries for building and running
#   bash Scripts/system-packages.sh --browser  # plus Chromium (the report-rendering test)
# Checks with pkg-config (and `command -v` for the browser); installs with apt-get as root or
# through sudo; otherwise prints the exact command to run and exits with status 1.

# pkg-config module → Debian package.
rg_required_modules=(openblas:libopenblas-dev lapacke:liblapacke-dev libpng:libpng-dev libjpeg:libjpeg-dev)

rg_missing_packages() {
    local want_browser="$1" missing=() entry
    if ! command -v pkg-config > /dev/null 2>&1; then
        missing+=(pkg-config)
        for entry in "${rg_required_modules[@]}"; do missing+=("${entry#*:}"); done
    else
        for entry in "${rg_required_modules[@]}"; do
            pkg-config --exists "${entry%%:*}" || missing+=("${entry#*:}")
        done
    fi
    if [ "$want_browser" = 1 ] && ! command -v chromium > /dev/null 2>&1 \
        && ! command -v chromium-browser > /dev/null 2>&1 && ! command -v google-chrome > /dev/null 2>&1; then
        missing+=(chromium)
    fi
    echo "${missing[@]}"
}

# rg_ensure_system_packages [--browser]
rg_ensure_system_packages() {
    local want_browser=0
    [ "${1:-}" = "--browser" ] && want_browser=1
    local missing
    missing="$(rg_missing_packages "$want_browser")"
    [ -z "$missing" ] && return 0
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then
            sudo="sudo"
        else
            echo "error: missing system packages: $missing" >&2
            echo "Install them (as root), then run this command again:" >&2
            echo "    sudo apt-get update && sudo apt-get install -y $missing" >&2
            return 1
        fi
    fi
    if ! command -v apt-get > /dev/null 2>&1; then
        echo "error: missing system libraries (Debian package names): $missing" >&2
        echo "This machine has no apt-get: install the equivalents with its package manager." >&2
        return 1
    fi
    echo "Installing system packages: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    $sudo apt-get update -qq && $sudo apt-get install -y -qq $missing > /dev/null || {
        echo "error: apt-get could not install: $missing" >&2
        return 1
    }
    missing="$(rg_missing_packages "$want_browser")"
    if [ -n "$missing" ]; then
        echo "error: still missing after apt-get: $missing" >&2
        return 1
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    rg_ensure_system_packages "$@"
fi
