#!/usr/bin/env bash
# Regenerates Sources/RectGradONNX/Generated/onnx.pb.swift from the official onnx.proto.
#
# Needs: protoc (apt-get install -y protobuf-compiler), protoc-gen-swift built from the
# swift-protobuf release the package depends on, and onnx.proto (pip install onnx ships it).
#
#   (cd .build/checkouts/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=.build/checkouts/swift-protobuf/.build/release/protoc-gen-swift \
#     Scripts/generate-onnx-proto.sh
#
# The generated file is committed; run this only when moving to another onnx.proto.
set -euo pipefail
cd "$(dirname "$0")/.."

plugin="${PROTOC_GEN_SWIFT:-.build/checkouts/swift-protobuf/.build/release/protoc-gen-swift}"
proto_dir="${ONNX_PROTO_DIR:-$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')}"
out="Sources/RectGradONNX/Generated"

[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin (set PROTOC_GEN_SWIFT)" >&2; exit 1; }
[ -f "$proto_dir/onnx.proto" ] || { echo "onnx.proto not found in $proto_dir (set ONNX_PROTO_DIR)" >&2; exit 1; }

mkdir -p "$out"
protoc \
  --plugin=protoc-gen-swift="$plugin" \
  --proto_path="$proto_dir" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=DropPath \
  --swift_out="$out" \
  "$proto_dir/onnx.proto"
echo "wrote $out/onnx.pb.swift from $proto_dir/onnx.proto ($(python3 -c 'import onnx; print("onnx", onnx.__version__)' 2>/dev/null || echo "onnx version unknown"))"
