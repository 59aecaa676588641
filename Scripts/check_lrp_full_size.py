#!/usr/bin/env python3
"""Checks the LRP composites, Grad-CAM and Guided Grad-CAM of `rectgrad attribute` on full-size
vgg16 and resnet50 against zennit and Captum.

The criterion is the one of Scripts/check_attribution_full_size.py: every map is compared with a
float64 reference, and so is the float32 result of the same reference library in two configurations
(PyTorch's default, and one thread without oneDNN: another reduction order); the requirement is

    error(rectgrad vs float64) ≤ max(3 × the larger PyTorch float32 error, 1e-3)   (relative L2)

References:
  lrp-epsilon-plus, lrp-epsilon-plus-flat, lrp-epsilon-gamma-box, lrp-epsilon-alpha2-beta1,
  lrp-epsilon-alpha2-beta1-flat
        zennit's composites EpsilonPlus(), EpsilonPlusFlat(), EpsilonGammaBox(low, high) with each
        example's per-channel minimum and maximum as bounds (the library's default), EpsilonAlpha2Beta1(),
        EpsilonAlpha2Beta1Flat(), default parameters, through zennit's Gradient attributor with the
        one-hot target as output relevance, on torchvision's vgg16 / resnet50 modules holding the
        same weights. resnet50: every batch norm merged exactly into its convolution (and replaced
        by the identity) and every residual addition made a zennit Sum module (what zennit's
        ResNetCanonizer does), because zennit's own merge (0.5.1) keeps the batch norm with unit
        statistics and its eps, dividing by sqrt(1 + eps) once per layer; the distance of zennit's
        ResNetCanonizer from the exact merge (EpsilonPlus, float64) is printed.
  grad-cam, guided-grad-cam
        Captum LayerGradCam (relu_attributions=True) at the zoo's last convolutional block
        (vgg16: features.29, resnet50: the output of layer4), upsampled with
        LayerAttribution.interpolate(mode="bilinear"); Captum GuidedGradCam(interpolate_mode="bilinear").

Models: random weights of the seeded generator of Scripts/check_attribution_full_size.py (the same
weights and input for a seed), written to a temporary safetensors file; batch of two, targets
the predicted class of example 0 and a non-predicted class of example 1.

Reference maps are cached in .cache/lrp-parity/ (git-ignored) per model, seed, batch, method and
configuration, so that they can be computed before rectgrad is built (--references-only) and a
rerun only runs rectgrad.

Usage: python3 Scripts/check_lrp_full_size.py [--rectgrad PATH] [--models vgg16 resnet50] [--seed 0]
       [--batch 2] [--methods …] [--references-only]
"""
from __future__ import annotations

import argparse
import copy
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Scripts"))
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import check_attribution_full_size as full  # noqa: E402

LRP = ["lrp-epsilon-plus", "lrp-epsilon-plus-flat", "lrp-epsilon-gamma-box", "lrp-epsilon-alpha2-beta1", "lrp-epsilon-alpha2-beta1-flat"]
CAM = ["grad-cam", "guided-grad-cam"]
METHODS = LRP + CAM


def torch_module(name, params):
    """torchvision's module with `params` (float64), every ReLU out of place."""
    model = {"vgg16": torchvision.models.vgg16, "resnet50": torchvision.models.resnet50}[name]()
    missing, unexpected = model.load_state_dict({k: v.to(torch.float64) for k, v in params.items()}, strict=False)
    if unexpected or any(not key.endswith("num_batches_tracked") for key in missing):
        raise SystemExit(f"{name}: state dict mismatch: missing {missing}, unexpected {unexpected}")
    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return model.double().eval()


def merge(conv, bn):
    """Merges `bn` into `conv` exactly (in the module's dtype)."""
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.bias)
        conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
        conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)


def canonical_resnet(model):
    """Batch norms merged exactly, residual additions through zennit's Sum (same outputs)."""
    from zennit.layer import Sum
    model = copy.deepcopy(model)
    merge(model.conv1, model.bn1)
    model.bn1 = nn.Identity()
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            for k in (1, 2, 3):
                merge(getattr(block, f"conv{k}"), getattr(block, f"bn{k}"))
                setattr(block, f"bn{k}", nn.Identity())
            if block.downsample is not None:
                merge(block.downsample[0], block.downsample[1])
                block.downsample[1] = nn.Identity()
            block.sum = Sum()

            def forward(self, x):
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.relu(self.bn2(self.conv2(out)))
                out = self.bn3(self.conv3(out))
                identity = x if self.downsample is None else self.downsample(x)
                return self.relu(self.sum(torch.stack([out, identity], dim=-1)))
            block.forward = forward.__get__(block)
    return model


def composite(name, x, canonizers=()):
    from zennit.composites import EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox, EpsilonPlus, EpsilonPlusFlat
    canonizers = list(canonizers)
    if name == "lrp-epsilon-gamma-box":
        low = x.amin(dim=(2, 3), keepdim=True).expand_as(x)
        high = x.amax(dim=(2, 3), keepdim=True).expand_as(x)
        return EpsilonGammaBox(low=low, high=high, canonizers=canonizers)
    return {"lrp-epsilon-plus": EpsilonPlus, "lrp-epsilon-plus-flat": EpsilonPlusFlat, "lrp-epsilon-alpha2-beta1": EpsilonAlpha2Beta1,
            "lrp-epsilon-alpha2-beta1-flat": EpsilonAlpha2Beta1Flat}[name](canonizers=canonizers)


def cam_layer(name, model):
    return model.features[29] if name == "vgg16" else model.layer4


CACHE = ROOT / ".cache" / "lrp-parity"


def cached_maps(tag, name, model, x, targets, dtype, methods):
    """reference_maps, each map cached in CACHE under `tag` (model, seed, batch, configuration)."""
    maps = {}
    for method in methods:
        path = CACHE / f"{tag}-{method}.npy"
        if path.exists():
            maps[method] = np.load(path)
        else:
            maps[method] = reference_maps(name, model, x, targets, dtype, [method])[method]
            CACHE.mkdir(parents=True, exist_ok=True)
            np.save(path, maps[method])
    return maps


def reference_maps(name, model, x, targets, dtype, methods):
    """Every method's map with the model in `dtype`."""
    from captum.attr import GuidedGradCam, LayerAttribution, LayerGradCam
    from zennit.attribution import Gradient
    model = copy.deepcopy(model).to(dtype)
    x = torch.as_tensor(x).to(dtype)
    lrp_model = canonical_resnet(model) if name == "resnet50" else model
    with torch.no_grad():
        logits = model(x)
    one_hot = torch.zeros_like(logits)
    for row, target in enumerate(targets):
        one_hot[row, target] = 1
    maps = {}
    for method in methods:
        start = time.perf_counter()
        if method in LRP:
            with Gradient(model=lrp_model, composite=composite(method, x)) as attributor:
                _, relevance = attributor(x.clone(), one_hot)
            maps[method] = relevance.detach()
        elif method == "grad-cam":
            cam = LayerGradCam(model, cam_layer(name, model)).attribute(x, target=targets, relu_attributions=True)
            maps[method] = LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode="bilinear").detach()
        else:
            maps[method] = GuidedGradCam(model, cam_layer(name, model)).attribute(x, target=targets, interpolate_mode="bilinear").detach()
        print(f"    {dtype} {method}: {time.perf_counter() - start:.1f} s", flush=True)
    return {k: v.to(torch.float64).numpy() for k, v in maps.items()}


def zennit_canonizer_gap(name, model, x, targets, exact, tag):
    """Relative L2 of zennit's own canonizer (ResNetCanonizer / nothing for vgg16) from the exact merge, float64."""
    if name != "resnet50":
        return None
    import json
    path = CACHE / f"{tag}-zennit-canonizer-gap.json"
    if path.exists():
        return json.loads(path.read_text())
    from zennit.attribution import Gradient
    from zennit.torchvision import ResNetCanonizer
    x = torch.as_tensor(x).to(torch.float64)
    with torch.no_grad():
        logits = model(x)
    one_hot = torch.zeros_like(logits)
    for row, target in enumerate(targets):
        one_hot[row, target] = 1
    gaps = {}
    # One composite is enough to show the canonizer's effect (each costs a float64 pass).
    for method in [m for m in LRP if m in exact][:1]:
        with Gradient(model=model, composite=composite(method, x, [ResNetCanonizer()])) as attributor:
            _, relevance = attributor(x.clone(), one_hot)
        gaps[method] = full.relative_l2(relevance.detach().numpy(), exact[method])
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gaps))
    return gaps


def check(binary, name, seed, methods, work, batch=2, references_only=False):
    arch = full.architecture(name)
    g = torch.Generator().manual_seed(seed)
    params = {k: v.to(torch.float32).to(torch.float64) for k, v in arch.params(g).items()}
    weights = work / f"{name}.safetensors"
    full.write_safetensors(weights, params)
    x = (torch.rand(2, 3, 224, 224, generator=g, dtype=torch.float64) * 2 - 1).to(torch.float32).numpy()[:batch]
    model = torch_module(name, params)
    with torch.no_grad():
        logits = model(torch.as_tensor(x).to(torch.float64))
        reference_logits = arch.forward(params, torch.as_tensor(x).to(torch.float64), full.ref.Ops())
    if (logits - reference_logits).abs().max().item() > 1e-8 * max(1.0, reference_logits.abs().max().item()):
        raise SystemExit(f"{name}: torchvision's module does not reproduce the reference network")
    predicted = logits.argmax(1).tolist()
    targets = [predicted[0], (predicted[1] + 1) % 1000] if batch == 2 else [predicted[0]]
    tag = f"{name}-seed{seed}-batch{batch}"
    f64 = cached_maps(f"{tag}-f64", name, model, x, targets, torch.float64, methods)
    f32 = cached_maps(f"{tag}-f32", name, model, x, targets, torch.float32, methods)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.backends.mkldnn.flags(enabled=False):
        f32b = cached_maps(f"{tag}-f32-1thread", name, model, x, targets, torch.float32, methods)
    torch.set_num_threads(threads)
    gaps = zennit_canonizer_gap(name, model, x, targets, f64, tag)
    if gaps:
        print("  zennit's ResNetCanonizer vs the exact merge (float64): "
              + ", ".join(f"{k} {v:.2e}" for k, v in gaps.items()), flush=True)
    if references_only:
        return [], targets, 0.0, gaps
    input_path = work / f"{name}-input.npy"
    np.save(input_path, x)
    out = work / f"{name}-maps"
    out.mkdir(exist_ok=True)
    command = [str(binary), "attribute", "--model", name, "--weights", str(weights), "--input", str(input_path),
               "--method", ",".join(methods), "--target", ",".join(map(str, targets)), "--output", str(out), "--overwrite"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"rectgrad attribute failed on {name}:\n{result.stderr}")
    seconds = time.perf_counter() - start
    print(f"  rectgrad attribute: {seconds:.1f} s", flush=True)
    rows = []
    for method in methods:
        mine = np.load(out / f"{method}.npy").astype(np.float64)
        if mine.shape != f64[method].shape:
            raise SystemExit(f"{name} {method}: shape {mine.shape}, reference {f64[method].shape}")
        ours = full.relative_l2(mine, f64[method])
        default, other = full.relative_l2(f32[method], f64[method]), full.relative_l2(f32b[method], f64[method])
        bound = max(3 * max(default, other), 1e-3)
        rows.append((name, method, ours, default, other, bound, ours <= bound))
        print(f"  {method:30s} rectgrad {ours:.2e}  pytorch-f32 {default:.2e} / {other:.2e}  bound {bound:.2e}  "
              f"{'ok' if ours <= bound else 'FAIL'}", flush=True)
    return rows, targets, seconds, gaps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rectgrad", default=str(ROOT / ".build" / "release" / "rectgrad"))
    parser.add_argument("--models", nargs="+", default=["vgg16", "resnet50"], choices=["vgg16", "resnet50"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--batch", type=int, default=2, choices=[1, 2])
    parser.add_argument("--references-only", action="store_true", help="compute (and cache) the reference maps only")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            print(name, f"seed {args.seed}", flush=True)
            model_rows, targets, seconds, _ = check(pathlib.Path(args.rectgrad), name, args.seed, args.methods, pathlib.Path(folder),
                                                    args.batch, args.references_only)
            print(f"  targets {targets}; rectgrad {seconds:.0f} s", flush=True)
            rows += model_rows
    print("\n| model | method | rectgrad vs f64 | PyTorch f32 (default) vs f64 | PyTorch f32 (1 thread, no oneDNN) vs f64 | bound | ok |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for name, method, ours, default, other, bound, ok in rows:
        print(f"| {name} | {method} | {ours:.2e} | {default:.2e} | {other:.2e} | {bound:.2e} | {'yes' if ok else '**no**'} |")
    failures = [r for r in rows if not r[6]]
    if failures:
        raise SystemExit(f"{len(failures)} maps outside the bound")


if __name__ == "__main__":
    main()
