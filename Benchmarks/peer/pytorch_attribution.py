#!/usr/bin/env python3
"""The PyTorch peer of the Attribution benchmarks: saliency, guided backprop and RectGrad (q = 98)
on vgg16, resnet50 and efficientnet-lite0 at batch 1 (224×224) and cifar-cnn at batch 100 (32×32),
each timed from scratch as the Swift benchmarks time `Network.attribute`: a forward pass with
autograd, the predicted class of every example as the target, the backward pass to the input.

  saliency         plain autograd: d(target logit)/dx.
  guided-backprop  every ReLU / ReLU6 is an autograd.Function whose backward is max(R, 0)·1[z > 0].
  rectgrad         every ReLU / ReLU6 is an autograd.Function whose backward is R·1[a·R > t], t the
                   per-example q-th percentile of a·R by the published float32 'nearest' rule
                   (torch.kthvalue at the rank that rule picks); the padding rule is a tensor hook
                   on the output of every padded convolution zeroing the gradient's outer frame;
                   the map is x · dS/dx.

Random weights (the timing does not depend on them). Usage:

    python3 Benchmarks/peer/pytorch_attribution.py [--threads 2] [--repeats 10] [--models vgg16,...]

Prints one line per model and method: median and minimum wall-clock time in milliseconds.
"""
import argparse
import pathlib
import statistics
import sys
import time

import numpy as np
import torch
import torchvision
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import tiny_models  # noqa: E402

MODELS = {
    "vgg16": (1, 224, lambda: torchvision.models.vgg16(weights=None)),
    "resnet50": (1, 224, lambda: torchvision.models.resnet50(weights=None)),
    "efficientnet-lite0": (1, 224, lambda: tiny_models.efficientnet_lite(**tiny_models.LITE0)),
    "cifar-cnn": (100, 32, lambda: tiny_models.CifarCNN()),
}
METHODS = ["saliency", "guided-backprop", "rectgrad"]


def nearest_descending_index(n: int, q: float) -> int:
    """The published rule: round_half_even(f32(n − 1) · (1 − q/100)), every operation in float32."""
    position = np.float32(n - 1) * (np.float32(1) - np.float32(q) / np.float32(100))
    return int(min(max(np.rint(position), 0), n - 1))


def rectgrad_gradient(a, R, q):
    """RectGrad's rule: R where a·R is above the per-example q-th percentile (published nearest rule)."""
    scores = (a * R).reshape(R.shape[0], -1)
    n = scores.shape[1]
    # d[idx] of the descending order is the (n − idx)-th smallest (kthvalue counts from 1).
    t = torch.kthvalue(scores, n - nearest_descending_index(n, q), dim=1).values
    mask = scores > t.unsqueeze(1)
    return (R.reshape(R.shape[0], -1) * mask).reshape(R.shape)


class RuleActivation(torch.autograd.Function):
    """ReLU (or ReLU6) whose backward is a rule: 'guided' or 'rectgrad'."""

    @staticmethod
    def forward(ctx, z, upper, rule, q):
        a = torch.clamp(z, min=0) if upper is None else torch.clamp(z, min=0, max=upper)
        ctx.save_for_backward(z, a)
        ctx.rule, ctx.q = rule, q
        return a

    @staticmethod
    def backward(ctx, R):
        z, a = ctx.saved_tensors
        if ctx.rule == "guided":
            return torch.clamp(R, min=0) * (z > 0).to(R.dtype), None, None, None
        return rectgrad_gradient(a, R, ctx.q), None, None, None


class RuleReLU(nn.Module):
    def __init__(self, upper, rule, q):
        super().__init__()
        self.upper, self.rule, self.q = upper, rule, q

    def forward(self, z):
        return RuleActivation.apply(z, self.upper, self.rule, self.q)


def mask_border(gradient):
    gradient = gradient.clone()
    gradient[:, :, 0, :] = 0
    gradient[:, :, -1, :] = 0
    gradient[:, :, :, 0] = 0
    gradient[:, :, :, -1] = 0
    return gradient


def border_hook(module, inputs, output):
    if output.requires_grad:
        output.register_hook(mask_border)


def with_rule(model, rule, q=98.0, border=False):
    """Replaces every ReLU / ReLU6 module by a RuleReLU; adds the padding rule's hooks."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.ReLU6):
                setattr(parent, name, RuleReLU(6.0, rule, q))
            elif isinstance(child, nn.ReLU):
                setattr(parent, name, RuleReLU(None, rule, q))
    if border:
        for module in model.modules():
            if isinstance(module, nn.Conv2d) and any(p != 0 for p in module.padding):
                module.register_forward_hook(border_hook)
    return model


def attribution(model, x, multiply_input):
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    seed = torch.zeros_like(logits)
    seed[torch.arange(logits.shape[0]), logits.argmax(dim=1)] = 1
    (gradient,) = torch.autograd.grad(logits, x, seed)
    return x * gradient if multiply_input else gradient


def timed(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in args.models.split(","):
        batch, size, build = MODELS[name]
        x = torch.randn(batch, 3, size, size)
        for method in args.methods.split(","):
            model = build().eval()
            if method == "guided-backprop":
                with_rule(model, "guided")
            elif method == "rectgrad":
                with_rule(model, "rectgrad", q=98.0, border=True)
            for p in model.parameters():
                p.requires_grad_(False)
            median, best = timed(lambda: attribution(model, x, method == "rectgrad"), args.repeats)
            print(f"{method} {name} batch {batch}: median {median:.1f} ms, min {best:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
