#!/usr/bin/env python3
"""Whole `rectgrad attribute` dataset processes at batch 1, 8 and 32: the cost per image, cold
(the whole process, start-up included, divided by its images) and warm (the extra time of a
process with twice the images, divided by the extra images: start-up, weights and first-pass
faults cancel out).

    python3 Benchmarks/process_batches.py RECTGRAD [--models resnet50,efficientnet-lite0]
        [--batches 1,8,32] [--images 32] [--threads 2] [--method rectgrad] [--rounds 2] [--out FILE.md]

For every model and batch size, each round runs two processes over a folder of exported held-out
images (`rectgrad dataset export`): one over IMAGES images and one over 2 × IMAGES, each into a
fresh output folder (`--format npy`, so nothing is read back from an earlier run), in an order
that alternates between rounds. Models without shipped weights run with `--random-weights`.
Prints per configuration the medians over rounds of the wall time and CPU time (user + sys) of
both processes, the cold and warm wall milliseconds per image, and the ratio of each to batch 1,
with the processor, its SIMD flags and a speed probe at the start and the end."""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratios import machine_state, speed_probe  # noqa: E402

SHIPPED = {"cifar-cnn", "efficientnet-lite0"}


def timed(command):
    """Wall seconds and the child's user + system CPU seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-800:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rectgrad")
    parser.add_argument("--models", default="resnet50,efficientnet-lite0")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--method", default="rectgrad")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    rectgrad = os.path.abspath(args.rectgrad)
    batches = [int(b) for b in args.batches.split(",")]
    work = tempfile.mkdtemp(prefix="process-batches-")
    try:
        exported = os.path.join(work, "export")
        subprocess.run([rectgrad, "dataset", "export", "--count", str(2 * args.images), "--out", exported],
                       check=True, stdout=subprocess.DEVNULL)
        images = sorted(os.listdir(os.path.join(exported, "images")))
        folders = {}
        for count in (args.images, 2 * args.images):
            folder = os.path.join(work, f"images-{count}")
            os.makedirs(folder)
            for name in images[:count]:
                os.symlink(os.path.join(exported, "images", name), os.path.join(folder, name))
            folders[count] = folder
        state = machine_state()
        probe_start = speed_probe()
        rows = []
        for model in args.models.split(","):
            per_batch = {}
            for batch in batches:
                runs = {count: [] for count in folders}
                for round_index in range(args.rounds):
                    order = sorted(folders) if round_index % 2 == 0 else sorted(folders, reverse=True)
                    for count in order:
                        output = os.path.join(work, f"out-{model}-{batch}-{count}-{round_index}")
                        command = [rectgrad, "attribute", "--model", model, "--method", args.method,
                                   "--batch-size", str(batch), "--threads", str(args.threads), "--format", "npy",
                                   "--output", output, folders[count]]
                        if model not in SHIPPED:
                            command.insert(4, "--random-weights")
                        runs[count].append(timed(command))
                        shutil.rmtree(output, ignore_errors=True)
                    print(f"  {model} batch {batch}: round {round_index + 1}/{args.rounds} done", file=sys.stderr, flush=True)
                small, large = args.images, 2 * args.images
                wall = {c: statistics.median(w for w, _ in runs[c]) for c in runs}
                cpu = {c: statistics.median(u for _, u in runs[c]) for c in runs}
                cold = 1000 * wall[small] / small
                warm = 1000 * (wall[large] - wall[small]) / (large - small)
                per_batch[batch] = (cold, warm)
                rows.append((model, batch, wall[small], cpu[small], wall[large], cpu[large], cold, warm))
            for index, row in enumerate(rows):
                if row[0] == model:
                    base_cold, base_warm = per_batch[batches[0]]
                    rows[index] = row + (row[6] / base_cold, row[7] / base_warm)
        probe_end = speed_probe()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"`python3 Benchmarks/process_batches.py {' '.join(sys.argv[1:])}`", "",
        f"Processor: {state['processor']}, {state['cores']} cores; SIMD: {', '.join(state['simd'])}; "
        f"speed probe {probe_start} ms at the start, {probe_end} ms at the end (lower is faster); "
        f"{args.threads} thread(s), method {args.method}, medians of {args.rounds} rounds.", "",
        f"| model | batch | {args.images} images: wall s (CPU s) | {2 * args.images} images: wall s (CPU s) | "
        f"cold ms/image | warm ms/image | cold / batch {batches[0]} | warm / batch {batches[0]} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for model, batch, ws, cs, wl, cl, cold, warm, cold_ratio, warm_ratio in rows:
        lines.append(f"| {model} | {batch} | {ws:.2f} ({cs:.2f}) | {wl:.2f} ({cl:.2f}) | {cold:.1f} | {warm:.1f} | "
                     f"{cold_ratio:.2f} | {warm_ratio:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
