#!/usr/bin/env python3
"""Times the convolutions of ConvolutionBenchmarks in PyTorch, for a ratio against this package.

3x3, stride-1, padding-1 convolutions at the VGG-16 sizes, batch 1, float32, two threads:
forward (F.conv2d) and the gradient to the input (aten.convolution_backward with only the input
gradient requested). GFLOP/s counts the direct algorithm's 2 * MACs, as the Swift benchmarks do.

    python3 Benchmarks/peer/pytorch_conv.py [--repeats 30] [--threads 2]
"""
import argparse
import time

import torch
import torch.nn.functional as F

SIZES = [(64, 224), (128, 112), (256, 56), (512, 28), (512, 14)]


def best_and_median(fn, repeats):
    for _ in range(3):
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
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    print(f"{'layer':<16}{'pass':<16}{'best ms':>9}{'median ms':>11}{'GFLOP/s (best)':>16}{'GFLOP/s (median)':>18}")
    with torch.no_grad():
        for channels, size in SIZES:
            x = torch.rand(1, channels, size, size) * 2
            w = (torch.rand(channels, channels, 3, 3) - 0.5) * 0.1
            dy = torch.rand(1, channels, size, size) * 2 - 1
            flops = 2.0 * channels * channels * 9 * size * size
            passes = {
                "forward": lambda: F.conv2d(x, w, padding=1),
                "backward-input": lambda: torch.ops.aten.convolution_backward(
                    dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False]),
            }
            for name, fn in passes.items():
                best, median = best_and_median(fn, args.repeats)
                layer = f"{channels}->{channels} @{size}"
                print(f"{layer:<16}{name:<16}{best * 1e3:9.2f}{median * 1e3:11.2f}"
                      f"{flops / best / 1e9:16.1f}{flops / median / 1e9:18.1f}")


if __name__ == "__main__":
    main()
