#!/usr/bin/env python3
"""Exports torchvision classifiers with seeded random weights twice: as an ONNX file (opset 17,
TorchScript exporter, as Scripts/check_onnx_full_size.py exports) and their state dict as F32
safetensors, plus a seeded input [1, 3, 224, 224] — the pairs the imported-vs-zoo timings of
Docs/onnx.md and Docs/benchmarks.md load. Weights: torch.manual_seed(0) initialisation, batch-norm
parameters and statistics randomised (generator seed 1) as in check_onnx_full_size.py.

Usage: python3 Scripts/export_onnx_and_weights.py OUT_DIR resnet50 vgg16
Writes OUT_DIR/NAME-s0.onnx, NAME-s0.safetensors and NAME-s0-input.npy (hundreds of MB: keep
them out of the repository)."""
import pathlib
import sys
import warnings

import torch
import torchvision

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "fixtures"))
from fixture_io import randomize_batch_norm, save_npy, save_safetensors  # noqa: E402

work = pathlib.Path(sys.argv[1])
work.mkdir(parents=True, exist_ok=True)
for name in sys.argv[2:]:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    generator = torch.Generator().manual_seed(1)
    randomize_batch_norm(model, generator)
    x = torch.randn(1, 3, 224, 224, generator=generator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(work / f"{name}-s0.onnx"), opset_version=17, dynamo=False,
                          input_names=["image"], output_names=["logits"])
    save_npy(x, work / f"{name}-s0-input.npy")
    save_safetensors(model.state_dict(), work / f"{name}-s0.safetensors")
    print(f"{name}: {work / (name + '-s0.onnx')}, {work / (name + '-s0.safetensors')}", flush=True)
