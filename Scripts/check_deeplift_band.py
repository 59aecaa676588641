#!/usr/bin/env python3
"""Is the left-edge band of DeepLIFT on EfficientNet-Lite0 the model's or ours? (issue #14, item 10)

Preprocesses one photo as torchvision's evaluation transform does (Resize(256), CenterCrop(224),
scaling to [-1, 1] as the zoo's efficientnet-lite0), writes it to a .npy file, runs
`rectgrad attribute --input x.npy` for DeepLIFT, saliency and integrated gradients, and computes
the same maps with the independent float64 PyTorch reference of the spec
(Scripts/fixtures/reference_rules.py) on the same weights and input. For each map it prints the
edge ratio — mean |attribution| in the first 8 columns over the mean in the other columns — and
the relative L2 distance between the two implementations (and the same ratio at the other
three edges); then the same for the photo mirrored
left-right (does the band follow the image content or stay at the left edge?).

Usage: python3 Scripts/check_deeplift_band.py [--rectgrad .build/release/rectgrad]
       [--weights .cache/weights/efficientnet-lite0.safetensors] [--photo PATH] [--methods deeplift …]
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Scripts"))
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import reference_rules as ref  # noqa: E402
from check_attribution_full_size import architecture, load_safetensors  # noqa: E402

METHODS = ["deeplift", "saliency", "integrated-gradients"]


def preprocess(path: pathlib.Path) -> np.ndarray:
    from PIL import Image
    image = Image.open(path).convert("RGB")
    scale = 256 / min(image.size)
    image = image.resize((round(image.size[0] * scale), round(image.size[1] * scale)), Image.BILINEAR)
    left, top = (image.size[0] - 224) // 2, (image.size[1] - 224) // 2
    array = np.asarray(image.crop((left, top, left + 224, top + 224)), dtype=np.float32)
    return (array.transpose(2, 0, 1) / np.float32(127.5) - np.float32(1))[None]


def edge_ratio(attribution: np.ndarray, edge: str = "left", width: int = 8) -> float:
    """Mean |attribution| in the `width` outermost columns (rows) at `edge` over the mean elsewhere."""
    a = np.abs(attribution[0])
    if edge in ("top", "bottom"):
        a = a.transpose(0, 2, 1)
    if edge in ("right", "bottom"):
        a = a[:, :, ::-1]
    return float(a[:, :, :width].mean() / a[:, :, width:].mean())


def ratios(attribution: np.ndarray) -> str:
    return " ".join(f"{edge} {edge_ratio(attribution, edge):5.2f}" for edge in ("left", "right", "top", "bottom"))


def relative_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def run(binary, weights, x, target, work, tag, methods):
    arch = architecture("efficientnet-lite0")
    params = load_safetensors(weights)
    input_path = work / f"{tag}.npy"
    np.save(input_path, x)
    xt = torch.as_tensor(x).to(torch.float64)
    with torch.no_grad():
        logits = arch.forward(params, xt, ref.Ops())
    if target is None:
        target = int(logits.argmax(1)[0])
    print(f"{tag}: target class {target}, logit {float(logits[0, target]):.3f}", flush=True)
    for method in methods:
        out = work / f"{tag}-{method}.npy"
        subprocess.run([str(binary), "attribute", "--model", "efficientnet-lite0", "--weights", str(weights),
                        "--input", str(input_path), "--method", method, "--target", str(target), "--steps", "50",
                        "--output", str(out)], check=True, capture_output=True)
        ours = np.load(out).astype(np.float64)
        reference = ref.method(method, arch.forward, params, xt, [target], steps=50).numpy()
        print(f"  {method:22s} relative L2 rectgrad vs PyTorch {relative_l2(ours, reference):.1e}\n"
              f"    edge ratios rectgrad: {ratios(ours)}\n    edge ratios PyTorch:  {ratios(reference)}", flush=True)
    return target


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rectgrad", default=str(ROOT / ".build" / "release" / "rectgrad"))
    parser.add_argument("--weights", default=str(ROOT / ".cache" / "weights" / "efficientnet-lite0.safetensors"))
    parser.add_argument("--photo", default=str(ROOT.parent / "shared" / "seed-data" / "imagenet" / "interclass" / "4.jpg"))
    parser.add_argument("--methods", nargs="+", default=METHODS)
    args = parser.parse_args()
    torch.set_num_threads(2)
    x = preprocess(pathlib.Path(args.photo))
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        target = run(args.rectgrad, args.weights, x, None, work, "photo", args.methods)
        run(args.rectgrad, args.weights, x[:, :, :, ::-1].copy(), target, work, "mirrored", args.methods)


if __name__ == "__main__":
    main()
