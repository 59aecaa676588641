#!/usr/bin/env python3
"""The PyTorch peer of the ZooForward benchmarks: forward time of vgg16, resnet50 and
efficientnet-lite0 at batch 1 (224×224) and cifar-cnn at batch 100 (32×32), in eval mode
under torch.no_grad(), with the same thread count as the Swift benchmarks (default 2).

Usage: python3 Benchmarks/peer/pytorch_forward.py [--threads 2] [--repeats 20]
Prints the median and minimum wall-clock time per forward pass in milliseconds.
"""
import argparse
import pathlib
import statistics
import sys
import time

import torch
import torchvision

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Scripts" / "fixtures"))
import tiny_models  # noqa: E402


def models():
    yield "vgg16", 1, 224, torchvision.models.vgg16(weights=None)
    yield "resnet50", 1, 224, torchvision.models.resnet50(weights=None)
    yield "efficientnet-lite0", 1, 224, tiny_models.efficientnet_lite(**tiny_models.LITE0)
    yield "cifar-cnn", 100, 32, tiny_models.CifarCNN()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, batch, size, model in models():
        model.eval()
        x = torch.randn(batch, 3, size, size)
        with torch.no_grad():
            for _ in range(2):
                model(x)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - start) * 1000)
        print(f"forward {name} batch {batch}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms")


if __name__ == "__main__":
    main()
