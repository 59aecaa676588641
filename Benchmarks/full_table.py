#!/usr/bin/env python3
"""The whole performance table of issue 15 in one run: warm passes against PyTorch at 1 and 2
threads, quiet and contended, batch 1 (every model and pass); batches 8 and 32 (resnet50 and
EfficientNet-Lite0, saliency and RectGrad); and whole `rectgrad attribute` processes, cold and
warm, at batch 1, 8 and 32 (resnet50, EfficientNet-Lite0, vgg16 on two threads; resnet50 and
Lite0 on one).

    python3 Benchmarks/full_table.py PASS_SERVER RECTGRAD [--rounds 3] [--out FILE.md]

Runs `ratios.py` twice and `process_batches.py` twice, one after the other, and writes their
tables into one file under one heading: the processor, its SIMD flags and the speed probe at the
start and at the end of the whole run (each part also carries its own probe). Each part is
appended to the file as soon as it finishes, so a stop loses only the part in progress.
Took 23 minutes on two cores (2026-12-05)."""
import argparse
import datetime
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ratios import machine_state, speed_probe  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pass_server")
    parser.add_argument("rectgrad")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "full-table.md"))
    args = parser.parse_args()
    rounds = str(args.rounds)
    ratios = [sys.executable, os.path.join(HERE, "ratios.py"), "--swift-binary", args.pass_server, "--repeats", "1", "--rounds", rounds]
    processes = [sys.executable, os.path.join(HERE, "process_batches.py"), args.rectgrad, "--rounds", "2"]
    parts = [
        ("Warm passes, batch 1: 1 and 2 threads, quiet and contended",
         ratios + ["--threads", "1,2", "--load", "quiet,contended", "--models", "vgg16,resnet50,efficientnet-lite0,cifar-cnn",
                   "--passes", "forward,saliency,guided-backprop,rectgrad,session", "--batches", "1"]),
        ("Warm passes, batches 8 and 32: 1 and 2 threads, quiet",
         ratios + ["--threads", "1,2", "--load", "quiet", "--models", "resnet50,efficientnet-lite0",
                   "--passes", "saliency,rectgrad", "--batches", "8,32"]),
        ("Whole processes, cold and warm, batches 1, 8 and 32: 2 threads",
         processes + ["--models", "resnet50,efficientnet-lite0,vgg16", "--threads", "2"]),
        ("Whole processes, cold and warm, batches 1, 8 and 32: 1 thread",
         processes + ["--models", "resnet50,efficientnet-lite0", "--threads", "1"]),
    ]
    state = machine_state()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    probe_start = speed_probe()
    header = [f"# Performance table ({started})", "",
              f"`python3 Benchmarks/full_table.py {' '.join(sys.argv[1:])}`", "",
              f"Processor: {state['processor']}, {state['cores']} cores; SIMD: {', '.join(state['simd'])}; "
              f"speed probe {probe_start} ms at the start (lower is faster).", ""]
    with open(args.out, "w") as handle:
        handle.write("\n".join(header) + "\n")
    with tempfile.TemporaryDirectory(prefix="full-table-") as work:
        for index, (title, command) in enumerate(parts):
            part_out = os.path.join(work, f"part{index}.md")
            print(f"part {index + 1}/{len(parts)}: {title}", file=sys.stderr, flush=True)
            subprocess.run(command + ["--out", part_out], check=True, stdout=subprocess.DEVNULL)
            with open(part_out) as part, open(args.out, "a") as handle:
                body = part.read()
                # ratios.py heads its file with its own title line; the part's title replaces it.
                lines = body.splitlines()
                if lines and lines[0].startswith("# "):
                    lines = lines[1:]
                handle.write(f"## {title}\n\n" + "\n".join(lines).strip() + "\n\n")
    probe_end = speed_probe()
    with open(args.out, "a") as handle:
        handle.write(f"Speed probe at the end of the whole run: {probe_end} ms.\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
