#!/usr/bin/env python3
"""Exports a torchvision network's weights to a safetensors file that `rectgrad` loads with
`--weights` (names and layouts are torchvision's state-dict names, which the zoo uses).

Usage: python3 Scripts/export_torchvision_weights.py MODEL OUT.safetensors [--pretrained]
  MODEL: vgg11 … vgg19, vgg11-bn … vgg19-bn, resnet18, resnet34, resnet50
  --pretrained downloads torchvision's ImageNet weights (DEFAULT) through torchvision;
  without it the weights are torchvision's random initialisation (seed 0).

Without PyTorch on the target machine: `torch.save(model.state_dict(), "m.pth")` anywhere, then
`rectgrad convert-pth m.pth m.safetensors --model MODEL`.
"""
import argparse
import pathlib
import sys

import torch
import torchvision

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "fixtures"))
from fixture_io import save_safetensors  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("model")
parser.add_argument("output")
parser.add_argument("--pretrained", action="store_true")
args = parser.parse_args()

torch.manual_seed(0)
builder = getattr(torchvision.models, args.model.replace("-", "_"))
model = builder(weights="DEFAULT" if args.pretrained else None).eval()
save_safetensors(model.state_dict(), args.output, metadata={"source": f"torchvision {torchvision.__version__} {args.model}"})
print(f"wrote {args.output}")
