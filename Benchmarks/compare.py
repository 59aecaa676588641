#!/usr/bin/env python3
"""Runs the Swift benchmarks (ZooForward, Attribution) and their PyTorch peers on this machine and
prints the ratio table Swift / PyTorch per model and pass (forward, saliency, guided backprop,
RectGrad), RectGrad's cost over saliency, and the saving of one forward pass for four methods.

    python3 Benchmarks/compare.py [--rounds 2] [--realtime] [--markdown] [--threads 2]

The machine is shared, so the tools run in alternating rounds (PyTorch, then Swift, `--rounds`
times); each figure is the smallest median (and the smallest minimum) over the rounds — the round
least disturbed by other processes. RectGrad's cost over saliency is also measured with the two
interleaved pass by pass (`PassTimer ratio`), which a change of load between two benchmarks
cannot skew. `--realtime` runs every measurement under `chrt -f 10` (SCHED_FIFO, needs
privileges), which keeps the machine's other processes off the cores while it runs.
Needs PyTorch and torchvision; run from anywhere (paths are relative to this file).
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = [("vgg16", 1), ("resnet50", 1), ("efficientnet-lite0", 1), ("cifar-cnn", 100)]
PASSES = ["forward", "saliency", "guided-backprop", "rectgrad"]
SESSION = ["session vgg16: 4 methods, 4 forward passes", "session vgg16: 4 methods, 1 forward pass"]
GOALS = "goals: RectGrad ≤ 0.8× PyTorch; RectGrad ≤ 1.15× saliency; every method ≤ 1.25× PyTorch"


# The allocator settings of every measured process (the library leaves its host's allocator
# alone; an application sets these for itself, as the `rectgrad` command does with mallopt):
# - arena_max=1: package-benchmark runs the measured closures on a thread other than the main
#   thread, and glibc gives such a thread its own malloc arena of 64 MiB heaps: a pass's
#   activations outgrow them and the heaps made for them are unmapped when freed, so every
#   iteration faults its activations in again (ResNet-50 saliency 158 ms instead of 107 ms).
# - mmap_threshold=32 MiB, trim_threshold=1 GiB: freed activations stay in the heap for the next
#   pass instead of being unmapped and faulted in again (vgg16 saliency: about a fifth of the
#   CPU time of a pass).
TUNABLES = "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
ENVIRONMENT = dict(os.environ, GLIBC_TUNABLES=TUNABLES)


def run(command, realtime, cwd=None):
    if realtime:
        command = ["chrt", "-f", "10"] + command
    print(f"$ GLIBC_TUNABLES={TUNABLES} " + " ".join(command), file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENVIRONMENT)
    # `swift package` itself (its plugin runner, before any benchmark runs) sometimes dies with
    # SIGSEGV on this machine; such a run measured nothing, so it is repeated (twice at most).
    for _ in range(2):
        if result.returncode >= 0 or "Program crashed" not in result.stderr or "swift-package" not in result.stderr:
            break
        print("  swift-package crashed; running the command again", file=sys.stderr, flush=True)
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENVIRONMENT)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(command)}")
    return result.stdout


def pytorch_times(output):
    """{name: (median ms, min ms)} from the peer scripts' lines `NAME: median X ms, min Y ms`."""
    times = {}
    for line in output.splitlines():
        match = re.match(r"(.+?): median ([\d.]+) ms, min ([\d.]+) ms", line)
        if match:
            times[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return times


def swift_times(output):
    """{name: (p50 ms, p0 ms)} from package-benchmark's markdown tables."""
    times, name = {}, None
    for line in output.splitlines():
        heading = re.match(r"###\s+(.+?)\s*$", line)
        if heading:
            name = heading.group(1)
            continue
        row = re.match(r"\|\s*Time \(wall clock\) \((μs|us|ms|ns|s)\)\s*\*?\s*\|(.+)", line)
        if row and name:
            scale = {"ns": 1e-6, "μs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}[row.group(1)]
            cells = [cell.strip() for cell in row.group(2).split("|") if cell.strip()]
            # Columns: p0 p25 p50 p75 p90 p99 p100 samples.
            times[name] = (float(cells[2]) * scale, float(cells[0]) * scale)
    return times


def best(rounds, name):
    """The smallest median over the rounds, and the smallest minimum."""
    found = [r[name] for r in rounds if name in r]
    if not found:
        return None
    return min(f[0] for f in found), min(f[1] for f in found)


def machine_facts(realtime, pass_timer):
    facts = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.+)", f.read())
            facts["cpu"] = model.group(1) if model else platform.processor()
    except OSError:
        facts["cpu"] = platform.processor()
    info = run([str(pass_timer), "all", "info", "0"], False) if pass_timer.exists() else ""
    for line in info.splitlines():
        key, _, value = line.partition(": ")
        if value:
            facts[key] = value
    import torch
    facts["torch"] = f"{torch.__version__}, {torch.get_num_threads()} threads (set by the peers)"
    facts["realtime"] = "chrt -f 10" if realtime else "no"
    return facts


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "–"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--realtime", action="store_true", help="run every measurement under chrt -f 10")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--swift-only", action="store_true", help="skip PyTorch (ratios left empty)")
    parser.add_argument("--scratch-path", help="SwiftPM's build folder for the Benchmarks package (default .build)")
    args = parser.parse_args()

    scratch = ["--scratch-path", args.scratch_path] if args.scratch_path else []
    # Build first, outside the measurements.
    for product in ["PassTimer", "ZooForward", "Attribution"]:
        run(["swift", "build", "-c", "release", "--product", product] + scratch, False, cwd=HERE)
    benchmark = ["swift", "package"] + scratch + ["--disable-sandbox", "benchmark", "--format", "markdown", "--no-progress"]
    swift_rounds, torch_rounds, interleaved_rounds = [], [], []
    build = Path(args.scratch_path) if args.scratch_path else Path(".build")
    pass_timer = (build if build.is_absolute() else HERE / build) / "release" / "PassTimer"
    for index in range(args.rounds):
        print(f"round {index + 1} of {args.rounds}", file=sys.stderr, flush=True)
        if not args.swift_only:
            peer = HERE / "peer"
            torch_output = run([sys.executable, str(peer / "pytorch_forward.py"), "--threads", str(args.threads)], args.realtime)
            torch_output += run([sys.executable, str(peer / "pytorch_attribution.py"), "--threads", str(args.threads)], args.realtime)
            torch_rounds.append(pytorch_times(torch_output))
        swift_output = ""
        for target in ["ZooForward", "Attribution"]:
            swift_output += run(benchmark + ["--target", target], args.realtime, cwd=HERE)
        swift_rounds.append(swift_times(swift_output))
        interleaved_rounds.append(interleaved_ratios(run([str(pass_timer), "all", "ratio", "10"], args.realtime)))

    build = Path(args.scratch_path) if args.scratch_path else Path(".build")
    facts = machine_facts(args.realtime, pass_timer)
    print(report(swift_rounds, torch_rounds, interleaved_rounds, facts, args.markdown))


def fmt(value):
    return f"{value:.1f}" if value is not None else "–"


def report(swift_rounds, torch_rounds, interleaved_rounds, facts, markdown):
    lines = []
    header = ["model", "batch", "pass", "Swift median", "Swift min", "PyTorch median", "PyTorch min", "ratio (medians)", "ratio (mins)"]
    if markdown:
        lines += ["| " + " | ".join(header) + " |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    else:
        lines.append(f"{'model':<20}{'batch':>6}  {'pass':<16}{'Swift med':>10}{'min':>8}{'PyTorch med':>12}{'min':>8}{'ratio':>7}{'(min)':>7}")
    for model, batch in MODELS:
        for name in PASSES:
            key = f"{name} {model} batch {batch}"
            swift, peer = best(swift_rounds, key), best(torch_rounds, key)
            cells = [fmt(swift and swift[0]), fmt(swift and swift[1]), fmt(peer and peer[0]), fmt(peer and peer[1]),
                     ratio(swift and swift[0], peer and peer[0]), ratio(swift and swift[1], peer and peer[1])]
            if markdown:
                lines.append(f"| {model} | {batch} | {name} | " + " | ".join(cells) + " |")
            else:
                lines.append(f"{model:<20}{batch:>6}  {name:<16}{cells[0]:>10}{cells[1]:>8}{cells[2]:>12}{cells[3]:>8}{cells[4]:>7}{cells[5]:>7}")
    lines.append("")

    def overhead(rounds, model, batch, column):
        rect, sal = best(rounds, f"rectgrad {model} batch {batch}"), best(rounds, f"saliency {model} batch {batch}")
        return ratio(rect and rect[column], sal and sal[column])

    lines.append("RectGrad / saliency, benchmarks (medians; mins): " + ", ".join(
        f"{model} Swift {overhead(swift_rounds, model, batch, 0)}; {overhead(swift_rounds, model, batch, 1)}"
        f" (PyTorch {overhead(torch_rounds, model, batch, 0)}; {overhead(torch_rounds, model, batch, 1)})" for model, batch in MODELS))
    if interleaved_rounds:
        parts = []
        for model, _ in MODELS:
            found = sorted(r[model] for r in interleaved_rounds if model in r)
            if found:
                parts.append(f"{model} {found[len(found) // 2][0]:.3f} (min) / {found[len(found) // 2][1]:.3f} (median)")
        lines.append("RectGrad / saliency, Swift, the two interleaved pass by pass (PassTimer ratio, middle round): " + ", ".join(parts))
    separate, shared = best(swift_rounds, SESSION[0]), best(swift_rounds, SESSION[1])
    if separate and shared:
        lines.append(f"vgg16, saliency + guided backprop + DeconvNet + RectGrad: 4 separate attributions {separate[0]:.1f} ms, "
                     f"one session (1 forward, 4 backwards) {shared[0]:.1f} ms, saving {100 * (1 - shared[0] / separate[0]):.0f} %")
    lines.append(GOALS)
    lines.append("machine: " + "; ".join(f"{key} {value}" for key, value in facts.items()))
    return "\n".join(lines)


def interleaved_ratios(output):
    """{model: (min ratio, median ratio)} from PassTimer's `ratio` lines."""
    ratios = {}
    for line in output.splitlines():
        match = re.match(r"(\S+) interleaved min: .*\(×([\d.]+)\).*median ratio ([\d.]+)", line)
        if match:
            ratios[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return ratios


if __name__ == "__main__":
    main()
