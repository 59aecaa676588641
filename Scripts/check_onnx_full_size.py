#!/usr/bin/env python3
"""Checks ONNX import on full-size torchvision classifiers against PyTorch and onnxruntime.

For each network (seeded random weights, batch-norm parameters and statistics randomised too):

1. export it with torch.onnx.export (TorchScript exporter, opset 17) to a temporary folder (never
   committed), with a seeded random input [1, 3, S, S];
2. logits: onnxruntime and `rectgrad predict --model net.onnx --input x.npy` against PyTorch
   float32 (relative L2; criterion ≤ 1e-5 for rectgrad);
3. maps: `rectgrad attribute --model net.onnx --method saliency|guided-backprop|rectgrad` (target:
   PyTorch's top class) against a float64 PyTorch reference; the criterion of the zoo's full-size
   check is error(rectgrad vs float64) ≤ max(3 × error(PyTorch float32 vs float64), 1e-3).
   PyTorch's exporter folds every batch norm that follows a convolution into it, in float32: the
   network in the file is not bit for bit PyTorch's. So each map is also checked against the
   network *as stored in the file* (its convolution weights and biases copied back into the
   PyTorch model, the folded batch norms removed): error(rectgrad vs that network in float64) ≤
   max(3 × error(PyTorch float32 on that network vs float64), 1e-3) — the importer's own error,
   apart from the exporter's rounding. The rebuilt network is checked first: every convolution must
   have found its Conv node, and its float64 logits must be within 1e-5 of onnxruntime's, else the
   network is skipped with an error. Saliency is autograd; guided backprop and RectGrad (q 98, padding rule) replace every
   activation module by one whose backward is the spec's rule (ReLU family: max(R, 0)·1[z > 0]
   and R·1[a·R > t]; other activations: max(R, 0)·f'(z) and R·f'(z)·1[a·R > t]). Networks that
   call activations as functions (densenet121's last ReLU, googlenet, inception_v3) get saliency
   only: a module swap would miss those sites.
4. zoo (resnet50, vgg16, inception_v4 → inception-v4): the built-in zoo model with the same weights (safetensors, batch norm
   not folded) gets the same saliency check, and `rectgrad attribute --method saliency` is timed
   on the imported file and on the zoo model, one run each after a warm-up.

Usage: python3 Scripts/check_onnx_full_size.py [--rectgrad .build/release/rectgrad] [--models resnet50 vgg16 …]
Needs torch, torchvision, onnx, onnxruntime, numpy (and timm for inception_v4, timm's network with
random weights; its zoo twin `inception-v4` gets the zoo comparison).
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torchvision

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import reference_rules as ref  # noqa: E402
from fixture_io import randomize_batch_norm, save_npy, save_safetensors  # noqa: E402

MODELS = {  # name: (torchvision constructor, input size, module-only activations, zoo name for timing)
    "resnet50": ("resnet50", 224, True, "resnet50"),
    "vgg16": ("vgg16", 224, True, "vgg16"),
    "mobilenet_v2": ("mobilenet_v2", 224, True, None),
    "mobilenet_v3_large": ("mobilenet_v3_large", 224, True, None),
    "efficientnet_b0": ("efficientnet_b0", 224, True, None),
    "densenet121": ("densenet121", 224, False, None),
    "googlenet": ("googlenet", 224, False, None),
    "inception_v3": ("inception_v3", 299, False, None),
    "inception_v4": ("timm:inception_v4", 299, True, "inception-v4"),
}
RELU_FAMILY = (nn.ReLU, nn.ReLU6)
OTHER = (nn.SiLU, nn.Hardswish, nn.Sigmoid, nn.Hardsigmoid)


def relative_l2(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


class RuleFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, module, rule):
        a = module(z.clone())
        ctx.save_for_backward(z, a)
        ctx.module, ctx.rule = module, rule
        return a

    @staticmethod
    def backward(ctx, R):
        z, a = ctx.saved_tensors
        family = isinstance(ctx.module, RELU_FAMILY)
        if family:
            derivative = (z > 0).to(R.dtype)
        else:
            with torch.enable_grad():
                zz = z.detach().requires_grad_(True)
                (derivative,) = torch.autograd.grad(ctx.module(zz).sum(), zz)
        if ctx.rule == "guided":
            return torch.clamp(R, min=0) * derivative, None, None
        scores = a * R
        t = ref.per_example_threshold(scores, 98.0).reshape((-1,) + (1,) * (z.dim() - 1))
        keep = (scores > t).to(R.dtype)
        return (R * keep if family else R * derivative * keep), None, None


class RuleActivation(nn.Module):
    def __init__(self, module, rule):
        super().__init__()
        self.module, self.rule = module, rule
        if hasattr(self.module, "inplace"):
            self.module.inplace = False

    def forward(self, z):
        return RuleFunction.apply(z, self.module, self.rule)


def with_rule(model, rule):
    """A copy of `model` whose activation modules use `rule`'s backward (and, for rectgrad, the
    padding rule at every padded convolution)."""
    import copy

    model = copy.deepcopy(model)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, RELU_FAMILY + OTHER):
                setattr(parent, name, RuleActivation(child, rule))
    if rule == "rectgrad":
        for module in model.modules():
            if isinstance(module, nn.Conv2d) and any(p != 0 for p in module.padding):
                module.register_forward_hook(lambda m, i, o: ref.BorderMask.apply(o))
    return model


def gradient_map(model, x, target, rule):
    x = x.clone().requires_grad_(True)
    m = model if rule == "saliency" else with_rule(model, rule)
    out = m(x)
    out[0, target].backward()
    g = x.grad.detach()
    return g * x.detach() if rule == "rectgrad" else g


def network_in_file(model, onnx_path):
    """A copy of `model` computing what the ONNX file computes: every Conv's weight and bias from
    the file (batch norm folded by the exporter), and the batch norms the exporter folded replaced
    by identities. Modules are found by the node names' scope (`/layer1/layer1.0/conv1/Conv`)."""
    import copy

    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(onnx_path))
    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in proto.graph.initializer}
    copied = copy.deepcopy(model)
    modules = dict(copied.named_modules())

    def module_path(node_name):
        path, previous = "", None
        for scope in node_name.strip("/").split("/")[:-1]:
            path = path + scope[len(previous):] if previous and scope.startswith(previous + ".") else (scope if not path else f"{path}.{scope}")
            previous = scope
        return path

    for node in proto.graph.node:  # the exporter shares equal tensors through Identity nodes
        if node.op_type == "Identity" and node.input[0] in initializers:
            initializers[node.output[0]] = initializers[node.input[0]]
    kept_norms, copied_convs = set(), set()
    for node in proto.graph.node:
        if node.op_type == "BatchNormalization":
            kept_norms.add(module_path(node.name))
        if node.op_type != "Conv":
            continue
        conv = modules[module_path(node.name)]
        copied_convs.add(module_path(node.name))
        conv.weight.data = torch.from_numpy(initializers[node.input[1]].copy())
        if len(node.input) > 2:
            conv.bias = nn.Parameter(torch.from_numpy(initializers[node.input[2]].copy()))
    for path, module in list(copied.named_modules()):
        for name, child in list(module.named_children()):
            full = f"{path}.{name}" if path else name
            if isinstance(child, nn.BatchNorm2d) and full not in kept_norms:
                # timm's BatchNormAct2d applies its dropout and activation after the norm: keep them.
                extra = [getattr(child, part) for part in ("drop", "act") if isinstance(getattr(child, part, None), nn.Module)]
                setattr(module, name, nn.Sequential(*extra) if extra else nn.Identity())
    missed = sorted(path for path, module in copied.named_modules() if isinstance(module, nn.Conv2d) and path not in copied_convs)
    if missed:
        raise SystemExit(f"the file's network: no Conv node found for {len(missed)} convolutions ({', '.join(missed[:3])} …)")
    return copied


def run(binary, args):
    start = time.perf_counter()
    result = subprocess.run([str(binary)] + args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"rectgrad {' '.join(args[:3])} failed:\n{result.stderr}")
    return time.perf_counter() - start


def check(binary, name, work):
    import onnxruntime as ort

    constructor, size, modules_only, zoo = MODELS[name]
    torch.manual_seed(0)
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    if constructor.startswith("timm:"):
        import timm

        model = timm.create_model(constructor[len("timm:"):], pretrained=False).eval()
    else:
        model = getattr(torchvision.models, constructor)(**kwargs).eval()
    generator = torch.Generator().manual_seed(1)
    randomize_batch_norm(model, generator)
    x = torch.randn(1, 3, size, size, generator=generator)
    onnx_path, input_path = work / f"{name}.onnx", work / f"{name}-input.npy"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(onnx_path), opset_version=17, dynamo=False, input_names=["image"], output_names=["logits"])
    save_npy(x, input_path)
    with torch.no_grad():
        logits32 = model(x).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (logits_ort,) = session.run(None, {"image": x.numpy()})
    row = {"name": name, "ort": relative_l2(logits_ort, logits32)}
    out = work / f"{name}-logits.npy"
    run(binary, ["predict", "--model", str(onnx_path), "--input", str(input_path), "--output", str(out), "--overwrite"])
    row["logits"] = relative_l2(np.load(out), logits32)
    target = int(np.argmax(logits32[0]))

    model64 = __import__("copy").deepcopy(model).double()
    stored = network_in_file(model, onnx_path)
    stored64 = __import__("copy").deepcopy(stored).double()
    with torch.no_grad():  # the rebuilt network must compute what the file computes
        stored_logits = stored64(x.double()).numpy()
    rebuild_error = relative_l2(logits_ort, stored_logits)
    print(f"  {name} the file's network rebuilt in PyTorch: float64 logits vs onnxruntime {rebuild_error:.2e}", flush=True)
    if rebuild_error > 1e-5:
        raise SystemExit(f"the file's network was rebuilt wrongly: its logits are {rebuild_error:.2e} from onnxruntime's")
    rules = ["saliency"] + (["guided-backprop", "rectgrad"] if modules_only else [])
    row["maps"] = {}
    references = {}
    for rule in rules:
        key = {"guided-backprop": "guided"}.get(rule, rule)
        f32 = gradient_map(model, x, target, key).numpy()
        f64 = gradient_map(model64, x.double(), target, key).numpy()
        stored32 = gradient_map(stored, x, target, key).numpy()
        stored_f64 = gradient_map(stored64, x.double(), target, key).numpy()
        references[rule] = f64
        path = work / f"{name}-{rule}.npy"
        seconds = run(binary, ["attribute", "--model", str(onnx_path), "--input", str(input_path), "--method", rule,
                               "--target", str(target), "--output", str(path), "--overwrite"])
        ours = np.load(path)
        error, torch_error = relative_l2(ours, f64), relative_l2(f32, f64)
        bound = max(3 * torch_error, 1e-3)
        file_error, file_torch_error = relative_l2(ours, stored_f64), relative_l2(stored32, stored_f64)
        file_bound = max(3 * file_torch_error, 1e-3)
        row["maps"][rule] = (error, torch_error, bound, seconds, file_error, file_torch_error, file_bound)
        print(f"  {name} {rule}: rectgrad {error:.2e}, PyTorch f32 {torch_error:.2e}, bound {bound:.1e} "
              f"{'ok' if error <= bound else 'FAIL'}; against the network in the file: rectgrad {file_error:.2e}, "
              f"PyTorch f32 {file_torch_error:.2e}, bound {file_bound:.1e} {'ok' if file_error <= file_bound else 'FAIL'}; "
              f"PyTorch f32 on the file's network vs the original float64 {relative_l2(stored32, f64):.2e}, "
              f"the file's network in float64 vs the original {relative_l2(stored_f64, f64):.2e} ({seconds:.1f} s)", flush=True)
    if zoo and "saliency" in references:
        weights = work / f"{name}.safetensors"
        save_safetensors(model.state_dict(), weights)
        path = work / f"{name}-zoo-saliency.npy"
        run(binary, ["attribute", "--model", zoo, "--weights", str(weights), "--input", str(input_path), "--method", "saliency",
                     "--target", str(target), "--output", str(path), "--overwrite"])
        zoo_error = relative_l2(np.load(path), references["saliency"])
        print(f"  {name} zoo model, same weights, saliency: rectgrad {zoo_error:.2e} against float64 "
              f"(bound {row['maps']['saliency'][2]:.1e})", flush=True)
        times = {}
        for label, args in (("onnx", ["--model", str(onnx_path)]), ("zoo", ["--model", zoo, "--weights", str(weights)])):
            path = work / f"{name}-{label}-time.npy"
            command = ["attribute"] + args + ["--input", str(input_path), "--method", "saliency", "--target", str(target), "--output", str(path), "--overwrite"]
            run(binary, command)  # warm-up
            times[label] = run(binary, command)
        row["time"] = times
        print(f"  {name} saliency time: imported {times['onnx']:.2f} s, zoo {times['zoo']:.2f} s", flush=True)
    print(f"{name}: logits onnxruntime {row['ort']:.2e}, rectgrad {row['logits']:.2e} "
          f"{'ok' if row['logits'] <= 1e-5 else 'FAIL'}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rectgrad", default=str(ROOT / ".build" / "release" / "rectgrad"))
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            try:
                check(pathlib.Path(args.rectgrad), name, pathlib.Path(folder))
            except SystemExit as error:
                print(f"{name}: {error}", flush=True)


if __name__ == "__main__":
    main()
