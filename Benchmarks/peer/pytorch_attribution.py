#!/usr/bin/env python3
"""Times saliency, guided backprop and RectGrad in PyTorch, for a ratio against this package.

The same networks as Benchmarks/Benchmarks/Attribution (vgg16, resnet50, efficientnet-lite0 at batch
1, 224×224; cifar-cnn at batch 100, 32×32), float32, two threads, random He weights. Each pass is a
forward and one backward to the input seeded with a one-hot row per example on the predicted class.
Guided backprop and RectGrad replace the activation's backward with an autograd.Function; RectGrad
(q = 98, the published float32 'nearest' percentile, per example, selected with torch.kthvalue —
O(n), no sort) also masks the outer frame of the gradient at every padded convolution. Also: one
forward with six backwards (retain_graph) against six separate passes.

    python3 Benchmarks/peer/pytorch_attribution.py [--repeats 10] [--threads 2] [--models vgg16 …]
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F


def nearest_index(n, q):
    position = np.float32(n - 1) * (np.float32(1) - np.float32(q) / np.float32(100))
    return int(min(max(np.rint(position), 0), n - 1))


class Rule:
    def __init__(self, name, q=98.0):
        self.name, self.q = name, q

    def backward(self, z, a, g):
        if self.name == "gradient":
            return g * (z > 0)
        if self.name == "guided":
            return g.clamp(min=0) * (z > 0)
        if self.name == "deconvnet":
            return g.clamp(min=0)
        if self.name == "epsilon":
            return g * a / (z + 1e-4 * torch.where(z >= 0, 1.0, -1.0))
        # RectGrad: R · 1[a·R > t], t the q-th percentile per example.
        scores = (a * g).reshape(a.shape[0], -1)
        n = scores.shape[1]
        k = n - nearest_index(n, self.q)  # the (n − idx)-th smallest
        t = torch.kthvalue(scores, k, dim=1).values
        return g * (scores > t[:, None]).reshape(g.shape)


class Activation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, rule, six):
        a = z.clamp(0, 6) if six else z.clamp(min=0)
        ctx.save_for_backward(z, a)
        ctx.rule = rule
        return a

    @staticmethod
    def backward(ctx, g):
        z, a = ctx.saved_tensors
        return ctx.rule.backward(z, a, g), None, None


class Border(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y):
        return y.view_as(y)

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        g[:, :, 0, :] = 0
        g[:, :, -1, :] = 0
        g[:, :, :, 0] = 0
        g[:, :, :, -1] = 0
        return g


class Ops:
    def __init__(self, rule=None, border=False):
        self.rule, self.border = rule, border

    def conv(self, x, w, b=None, stride=1, padding=0, groups=1):
        y = F.conv2d(x, w, b, stride, padding, 1, groups)
        return Border.apply(y) if self.border and padding else y

    def act(self, z, kind="relu"):
        if self.rule is None:
            return F.relu(z) if kind == "relu" else F.relu6(z)
        return Activation.apply(z, self.rule, kind == "relu6")

    def bn(self, x, p, name, eps):
        return F.batch_norm(x, p[name + ".running_mean"], p[name + ".running_var"], p[name + ".weight"], p[name + ".bias"], False, 0.0, eps)


def he(shape, fan_in):
    return torch.randn(shape) * (2.0 / fan_in) ** 0.5


def conv_params(p, name, cin, cout, k, bias=True, groups=1):
    p[name + ".weight"] = he((cout, cin // groups, k, k), cin // groups * k * k)
    if bias:
        p[name + ".bias"] = torch.zeros(cout)


def bn_params(p, name, c):
    p[name + ".weight"], p[name + ".bias"] = torch.ones(c), torch.zeros(c)
    p[name + ".running_mean"], p[name + ".running_var"] = torch.zeros(c), torch.ones(c)


def vgg16():
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    p, c = {}, 3
    for i, f in enumerate(cfg):
        if f != "M":
            conv_params(p, f"f{i}", c, f, 3)
            c = f
    p["fc0.weight"], p["fc0.bias"] = he((4096, 25088), 25088), torch.zeros(4096)
    p["fc1.weight"], p["fc1.bias"] = he((4096, 4096), 4096), torch.zeros(4096)
    p["fc2.weight"], p["fc2.bias"] = he((1000, 4096), 4096), torch.zeros(1000)

    def forward(x, ops):
        for i, f in enumerate(cfg):
            x = F.max_pool2d(x, 2) if f == "M" else ops.act(ops.conv(x, p[f"f{i}.weight"], p[f"f{i}.bias"], 1, 1))
        x = F.adaptive_avg_pool2d(x, 7).flatten(1)
        x = ops.act(F.linear(x, p["fc0.weight"], p["fc0.bias"]))
        x = ops.act(F.linear(x, p["fc1.weight"], p["fc1.bias"]))
        return F.linear(x, p["fc2.weight"], p["fc2.bias"])
    return forward, 224


def resnet50():
    p = {}
    conv_params(p, "conv1", 3, 64, 7, bias=False)
    bn_params(p, "bn1", 64)
    blocks, c = [], 64
    for stage, (count, planes) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
        for i in range(count):
            stride = 2 if i == 0 and stage > 0 else 1
            name, out = f"l{stage}.{i}", planes * 4
            conv_params(p, name + ".c1", c, planes, 1, False); bn_params(p, name + ".b1", planes)
            conv_params(p, name + ".c2", planes, planes, 3, False); bn_params(p, name + ".b2", planes)
            conv_params(p, name + ".c3", planes, out, 1, False); bn_params(p, name + ".b3", out)
            down = stride != 1 or c != out
            if down:
                conv_params(p, name + ".d", c, out, 1, False); bn_params(p, name + ".db", out)
            blocks.append((name, stride, down))
            c = out
    p["fc.weight"], p["fc.bias"] = he((1000, 2048), 2048), torch.zeros(1000)

    def forward(x, ops):
        x = ops.act(ops.bn(ops.conv(x, p["conv1.weight"], None, 2, 3), p, "bn1", 1e-5))
        x = F.max_pool2d(x, 3, 2, 1)
        for name, stride, down in blocks:
            h = ops.act(ops.bn(ops.conv(x, p[name + ".c1.weight"]), p, name + ".b1", 1e-5))
            h = ops.act(ops.bn(ops.conv(h, p[name + ".c2.weight"], None, stride, 1), p, name + ".b2", 1e-5))
            h = ops.bn(ops.conv(h, p[name + ".c3.weight"]), p, name + ".b3", 1e-5)
            skip = ops.bn(ops.conv(x, p[name + ".d.weight"], None, stride), p, name + ".db", 1e-5) if down else x
            x = ops.act(h + skip)
        return F.linear(F.adaptive_avg_pool2d(x, 1).flatten(1), p["fc.weight"], p["fc.bias"])
    return forward, 224


def efficientnet_lite0():
    stages = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
    p = {}
    conv_params(p, "stem", 3, 32, 3, False); bn_params(p, "bn0", 32)
    blocks, c = [], 32
    for repeats, k, s, e, out in stages:
        for i in range(repeats):
            name, hidden, stride = f"b{len(blocks)}", c * e, s if i == 0 else 1
            if e != 1:
                conv_params(p, name + ".e", c, hidden, 1, False); bn_params(p, name + ".eb", hidden)
            conv_params(p, name + ".d", hidden, hidden, k, False, groups=hidden); bn_params(p, name + ".db", hidden)
            conv_params(p, name + ".p", hidden, out, 1, False); bn_params(p, name + ".pb", out)
            blocks.append((name, e, k, stride, hidden, stride == 1 and c == out))
            c = out
    conv_params(p, "head", c, 1280, 1, False); bn_params(p, "bn1", 1280)
    p["fc.weight"], p["fc.bias"] = he((1000, 1280), 1280), torch.zeros(1000)

    def forward(x, ops):
        x = ops.act(ops.bn(ops.conv(x, p["stem.weight"], None, 2, 1), p, "bn0", 1e-3), "relu6")
        for name, e, k, stride, hidden, residual in blocks:
            h = x
            if e != 1:
                h = ops.act(ops.bn(ops.conv(h, p[name + ".e.weight"]), p, name + ".eb", 1e-3), "relu6")
            h = ops.act(ops.bn(ops.conv(h, p[name + ".d.weight"], None, stride, k // 2, hidden), p, name + ".db", 1e-3), "relu6")
            h = ops.bn(ops.conv(h, p[name + ".p.weight"]), p, name + ".pb", 1e-3)
            x = h + x if residual else h
        x = ops.act(ops.bn(ops.conv(x, p["head.weight"]), p, "bn1", 1e-3), "relu6")
        return F.linear(F.adaptive_avg_pool2d(x, 1).flatten(1), p["fc.weight"], p["fc.bias"])
    return forward, 224


def cifar_cnn():
    p, c = {}, 3
    for i, w in enumerate((32, 32, 64, 64), 1):
        conv_params(p, f"conv{i}", c, w, 3)
        c = w
    p["d5.weight"], p["d5.bias"] = he((256, 4096), 4096), torch.zeros(256)
    p["d6.weight"], p["d6.bias"] = he((10, 256), 256), torch.zeros(10)

    def forward(x, ops):
        for i in range(1, 5):
            x = ops.act(ops.conv(x, p[f"conv{i}.weight"], p[f"conv{i}.bias"], 1, 1))
            if i % 2 == 0:
                x = F.max_pool2d(x, 2)
        x = ops.act(F.linear(x.flatten(1), p["d5.weight"], p["d5.bias"]))
        return F.linear(x, p["d6.weight"], p["d6.bias"])
    return forward, 32


MODELS = {"vgg16": (vgg16, 1), "resnet50": (resnet50, 1), "efficientnet-lite0": (efficientnet_lite0, 1), "cifar-cnn": (cifar_cnn, 100)}
METHODS = {"saliency": (None, False), "guided-backprop": ("guided", False), "rectgrad": ("rectgrad", True)}


def attribute(forward, x, rule, border):
    x = x.detach().requires_grad_(True)
    logits = forward(x, Ops(Rule(rule) if rule else None, border))
    seed = torch.zeros_like(logits)
    seed[torch.arange(x.shape[0]), logits.argmax(1)] = 1
    (gradient,) = torch.autograd.grad(logits, x, seed)
    return x * gradient if rule == "rectgrad" else gradient


def many_backwards(forward, x, rules):
    """One forward per rule set that shares the graph is impossible in autograd (the rule is baked
    into the graph), so PyTorch records one forward per rule; this is the fair 'separate passes'."""
    return [attribute(forward, x, rule, border) for rule, border in rules]


def timed(fn, repeats):
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':<20}{'method':<26}{'best ms':>10}{'median ms':>11}")
    six = [(None, False), (None, False), ("guided", False), ("deconvnet", False), ("rectgrad", True), ("epsilon", False)]
    for model in args.models:
        build, batch = MODELS[model]
        forward, size = build()
        x = torch.rand(batch, 3, size, size) * 2 - 1
        for method, (rule, border) in METHODS.items():
            best, median = timed(lambda: attribute(forward, x, rule, border), args.repeats)
            print(f"{model:<20}{method:<26}{best * 1e3:10.1f}{median * 1e3:11.1f}", flush=True)
        best, median = timed(lambda: many_backwards(forward, x, six), max(args.repeats // 3, 3))
        print(f"{model:<20}{'6 separate passes':<26}{best * 1e3:10.1f}{median * 1e3:11.1f}", flush=True)


if __name__ == "__main__":
    main()
