#!/usr/bin/env python3
"""Forward and gradient-map parity of the zoo's inception-v4 with timm's inception_v4 on random weights.

    swift build -c release --product rectgrad
    python3 Scripts/check-inception-v4-parity.py [--batch 2] [--workdir .cache/parity]

Builds timm's inception_v4 (no download) with seeded random weights and batch-norm statistics,
writes them as safetensors (timm's names, `num_batches_tracked` left out), runs
`rectgrad predict --model inception-v4 --weights … --input x.npy --output logits.npy` on a random
299×299 batch, and prints the relative L2 distance of the logits to PyTorch float32 and to a
float64 reference (and PyTorch float32's own distance to that reference). Then the same for
saliency and guided-backprop maps of the predicted class (`rectgrad attribute --method
saliency,guided-backprop`; in PyTorch, autograd with every ReLU's backward replaced by
`max(R, 0)·1[z > 0]` for guided backprop). Needs torch, timm,
safetensors and numpy; writes ~170 MB of weights into the work directory.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import timm
import torch
from safetensors.torch import save_file


def relative_l2(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b.astype(np.float64)) / np.linalg.norm(b.astype(np.float64)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--workdir", default=os.path.join(".cache", "parity"))
    parser.add_argument("--rectgrad", default=os.path.join(".build", "release", "rectgrad"))
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    torch.manual_seed(4)
    model = timm.create_model("inception_v4", pretrained=False).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    weights = os.path.join(args.workdir, "inception-v4-random.safetensors")
    save_file(state, weights)

    x = torch.randn(args.batch, 3, 299, 299)
    x_path, out_path = os.path.join(args.workdir, "inception-v4-x.npy"), os.path.join(args.workdir, "inception-v4-logits.npy")
    np.save(x_path, x.numpy())
    with torch.no_grad():
        torch32 = model(x).numpy()
        torch64 = model.double()(x.double()).numpy()

    command = [args.rectgrad, "predict", "--model", "inception-v4", "--weights", weights, "--input", x_path, "--output", out_path, "--overwrite"]
    subprocess.run(command, check=True)
    ours = np.load(out_path)
    print(f"timm {timm.__version__}, torch {torch.__version__}, batch {args.batch}, logits {ours.shape}")
    print(f"relative L2, rectgrad vs PyTorch float32: {relative_l2(ours, torch32):.3e}")
    print(f"relative L2, rectgrad vs float64 reference: {relative_l2(ours, torch64):.3e}")
    print(f"relative L2, PyTorch float32 vs float64 reference: {relative_l2(torch32, torch64):.3e}")
    print(f"same top-1 class as PyTorch: {np.array_equal(ours.argmax(1), torch32.argmax(1))}")

    maps_dir = os.path.join(args.workdir, "inception-v4-maps")
    command = [args.rectgrad, "attribute", "--model", "inception-v4", "--weights", weights, "--input", x_path,
               "--method", "saliency,guided-backprop", "--output", maps_dir, "--overwrite"]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    targets = torch.from_numpy(torch32.argmax(1))
    for method in ["saliency", "guided-backprop"]:
        reference32 = input_gradient(model.float(), x, targets, guided=method == "guided-backprop")
        reference64 = input_gradient(model.double(), x.double(), targets, guided=method == "guided-backprop")
        mine = np.load(os.path.join(maps_dir, f"{method}.npy"))
        own = relative_l2(reference32, reference64)
        print(f"{method}: rectgrad vs float64 {relative_l2(mine, reference64):.3e}, PyTorch float32 vs float64 {own:.3e}, "
              f"rectgrad vs PyTorch float32 {relative_l2(mine, reference32):.3e}")
    return 0


class GuidedReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z.clamp(min=0)

    @staticmethod
    def backward(ctx, r):
        (z,) = ctx.saved_tensors
        return r.clamp(min=0) * (z > 0).to(r.dtype)


def input_gradient(model, x, targets, guided):
    """d logit[target] / dx, with guided backprop's ReLU rule when asked."""
    originals = {}
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            originals[module] = module.forward
            module.forward = (lambda z: GuidedReLU.apply(z)) if guided else (lambda z: torch.relu(z))
    x = x.clone().requires_grad_(True)
    logits = model(x)
    selected = logits.gather(1, targets.view(-1, 1)).sum()
    (gradient,) = torch.autograd.grad(selected, x)
    for module, forward in originals.items():
        module.forward = forward
    return gradient.detach().numpy()


if __name__ == "__main__":
    sys.exit(main())
