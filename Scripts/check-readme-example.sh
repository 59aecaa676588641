#!/usr/bin/env bash
# Builds and runs the README's "Use as a library" example in a fresh package that depends on this
# one by path, exactly as a user would; also builds (without running: it needs weights and a
# photo) the README's attribution snippet, with the DocC article's `ActiveAboveRule` beside it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/RectifiedGradient-user/Sources/Example" "$work/RectifiedGradient-user/Sources/AttributionSnippet"
ln -s "$root" "$work/RectifiedGradient"
python3 - "$root/README.md" "$work/RectifiedGradient-user/Sources/Example/main.swift" \
    "$work/RectifiedGradient-user/Sources/AttributionSnippet/main.swift" \
    "$root/Sources/RectGradCore/RectGradCore.docc/WritingABackwardRule.md" \
    "$work/RectifiedGradient-user/Sources/AttributionSnippet/ActiveAboveRule.swift" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## Use as a library", 1)[1]
blocks = re.findall(r"```swift\n(.*?)```", section, re.S)
main = [b for b in blocks if "import RectGradCore" in b]
if not main:
    sys.exit("README: no main.swift example found in 'Use as a library'")
open(sys.argv[2], "w").write(main[0])
snippet = [b for b in blocks if "import RectifiedGradient" in b]
if not snippet:
    sys.exit("README: no attribution snippet found in 'Use as a library'")
open(sys.argv[3], "w").write(snippet[0])
article = open(sys.argv[4]).read()
rule = [b for b in re.findall(r"```swift\n(.*?)```", article, re.S) if "struct ActiveAboveRule" in b]
if not rule:
    sys.exit("WritingABackwardRule.md: no ActiveAboveRule")
open(sys.argv[5], "w").write(rule[0])
PY
cat > "$work/RectifiedGradient-user/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "Example",
    dependencies: [.package(path: "../RectifiedGradient")],
    targets: [
        .executableTarget(name: "Example", dependencies: [
            .product(name: "RectGradCore", package: "RectifiedGradient"),
            .product(name: "RectGradLayers", package: "RectifiedGradient"),
        ]),
        .executableTarget(name: "AttributionSnippet", dependencies: [
            .product(name: "RectifiedGradient", package: "RectifiedGradient"),
        ]),
    ]
)
SWIFT
cd "$work/RectifiedGradient-user"
swift build -c release 2>&1 | tail -3
./.build/release/Example
