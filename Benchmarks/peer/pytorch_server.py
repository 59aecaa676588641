#!/usr/bin/env python3
"""The PyTorch peer of Benchmarks/Sources/PassServer: a warm process timing passes on request.

    python3 Benchmarks/peer/pytorch_server.py --threads N
    stdin:  MODEL PASS BATCH REPEATS     (one request per line; `quit` ends)
    stdout: ok MS MS …                   (one wall-clock time per repeat, after one warm-up pass)

PASS is forward (under torch.no_grad), saliency, guided-backprop, rectgrad (q = 98 with the padding
rule, the map multiplied by the input — see pytorch_attribution.py, whose definitions this reuses)
or session: one forward pass with autograd, then four backward passes through the same graph
(saliency, guided backprop, RectGrad, DeconvNet), the activation rule switched between them —
PyTorch's equivalent of the Swift session's one forward, many backwards. Random weights.
"""
import argparse
import sys
import time

import torch
from torch import nn

import pytorch_attribution as peer


class SwitchableActivation(torch.autograd.Function):
    """ReLU / ReLU6 whose backward rule is read from `holder['rule']` when the backward runs."""

    @staticmethod
    def forward(ctx, z, upper, holder):
        a = torch.clamp(z, min=0) if upper is None else torch.clamp(z, min=0, max=upper)
        ctx.save_for_backward(z, a)
        ctx.holder, ctx.upper = holder, upper
        return a

    @staticmethod
    def backward(ctx, R):
        z, a = ctx.saved_tensors
        rule = ctx.holder["rule"]
        inside = (z > 0) if ctx.upper is None else ((z > 0) & (z < ctx.upper))
        if rule == "saliency":
            return R * inside.to(R.dtype), None, None
        if rule == "guided":
            return torch.clamp(R, min=0) * inside.to(R.dtype), None, None
        if rule == "deconvnet":
            return torch.clamp(R, min=0), None, None
        return peer.rectgrad_gradient(a, R, 98.0), None, None


class SwitchableReLU(nn.Module):
    def __init__(self, upper, holder):
        super().__init__()
        self.upper, self.holder = upper, holder

    def forward(self, z):
        return SwitchableActivation.apply(z, self.upper, self.holder)


def switchable(model, holder):
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.ReLU6):
                setattr(parent, name, SwitchableReLU(6.0, holder))
            elif isinstance(child, nn.ReLU):
                setattr(parent, name, SwitchableReLU(None, holder))

    def border(gradient):
        return peer.mask_border(gradient) if holder["rule"] == "rectgrad" else gradient

    def hook(module, inputs, output):
        if output.requires_grad:
            output.register_hook(border)

    for module in model.modules():
        if isinstance(module, nn.Conv2d) and any(p != 0 for p in module.padding):
            module.register_forward_hook(hook)
    return model


def session(model, holder, x):
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    seed = torch.zeros_like(logits)
    seed[torch.arange(logits.shape[0]), logits.argmax(dim=1)] = 1
    maps = []
    for rule in ("saliency", "guided", "rectgrad", "deconvnet"):
        holder["rule"] = rule
        (gradient,) = torch.autograd.grad(logits, x, seed, retain_graph=True)
        maps.append(x * gradient if rule == "rectgrad" else gradient)
    return maps


def build(model_name, pass_name):
    _, size, make = peer.MODELS[model_name]
    torch.manual_seed(0)
    model = make().eval()
    holder = {"rule": "saliency"}
    if pass_name == "guided-backprop":
        peer.with_rule(model, "guided")
    elif pass_name == "rectgrad":
        peer.with_rule(model, "rectgrad", q=98.0, border=True)
    elif pass_name == "session":
        switchable(model, holder)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, size, holder


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = {}
    print(f"ready {torch.get_num_threads()} threads", flush=True)
    for line in sys.stdin:
        fields = line.split()
        if fields == ["quit"]:
            break
        try:
            model_name, pass_name, batch, repeats = fields[0], fields[1], int(fields[2]), int(fields[3])
            key = (model_name, pass_name)
            if key not in models:
                models[key] = build(model_name, pass_name)
            model, size, holder = models[key]
            x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(7))
            if pass_name == "forward":
                def body():
                    with torch.no_grad():
                        model(x)
            elif pass_name == "session":
                def body():
                    session(model, holder, x)
            elif pass_name in ("saliency", "guided-backprop", "rectgrad"):
                def body():
                    peer.attribution(model, x, pass_name == "rectgrad")
            else:
                raise ValueError(f"unknown pass '{pass_name}'")
            body()
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                body()
                times.append((time.perf_counter() - start) * 1000)
            print("ok " + " ".join(f"{t:.3f}" for t in times), flush=True)
        except Exception as error:  # a bad request is answered, not fatal
            print(f"error {error}", flush=True)


if __name__ == "__main__":
    main()
