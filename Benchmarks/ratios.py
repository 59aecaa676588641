#!/usr/bin/env python3
"""Swift / PyTorch time ratios that survive a noisy machine.

Two warm servers — Benchmarks/Sources/PassServer (Swift) and Benchmarks/peer/pytorch_server.py
(PyTorch) — run the same pass on request. The driver alternates them in many short rounds (each
round: every model and pass, a few repeats per tool, the tool that goes first alternating between
rounds) and reports, per model and pass, the **median of the per-round ratios** Swift / PyTorch
with its interquartile range, at each thread count and under each load:

  quiet       nothing else started by the script;
  contended   one busy-loop process per core started by the script for the duration.

Under contention it also reports each tool's slowdown (contended median / quiet median). With
`--callgrind` it adds the Swift side's instruction count per pass (valgrind: runs with one and two
timed passes, the difference is one pass), which a noisy day does not move. The machine's
processor, SIMD flags and a CPU-speed probe (a fixed single-threaded loop, timed at the start and
at the end) head the output.

    python3 Benchmarks/ratios.py [--threads 1,2] [--load quiet,contended] [--rounds 12]
        [--repeats 3] [--models vgg16,resnet50,efficientnet-lite0,cifar-cnn]
        [--passes forward,saliency,guided-backprop,rectgrad,session] [--batches 1]
        [--callgrind] [--out Benchmarks/results/ratios.md]

cifar-cnn runs at batch 100 whatever `--batches` says (as in compare.py). Results are written to
`--out` as each configuration finishes (markdown + a JSON file next to it), so a stop loses nothing.
Needs PyTorch and torchvision; run from anywhere.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The PyTorch server keeps freed activations in the heap instead of unmapping and faulting them in
# again every pass. The Swift server needs no allocator settings: its passes reuse their buffers
# through one `TensorBufferPool` (`--swift-tunables` gives it the same settings, for comparisons
# with runs made before the pool).
TUNABLES = "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"


def machine_state():
    model, flags = platform.processor() or "unknown", []
    try:
        text = Path("/proc/cpuinfo").read_text()
        match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        model = match.group(1).strip() if match else model
        match = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
        present = set(match.group(1).split()) if match else set()
        flags = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16") if f in present]
    except OSError:
        pass
    return {"processor": model, "simd": flags, "cores": os.cpu_count(), "python": platform.python_version()}


def speed_probe():
    """Milliseconds of a fixed single-threaded integer loop (the best of three)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i * i % 7
        best = min(best, (time.perf_counter() - start) * 1000)
    return round(best, 1)


class Server:
    def __init__(self, command, cwd=None, env=None):
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        banner = self.process.stdout.readline()
        if not banner.startswith("ready"):
            raise SystemExit(f"server did not start: {' '.join(command)}: {banner!r}")

    def times(self, model, pass_name, batch, repeats):
        self.process.stdin.write(f"{model} {pass_name} {batch} {repeats}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().split()
        if not answer or answer[0] != "ok":
            raise SystemExit(f"server error for {model} {pass_name}: {' '.join(answer)}")
        fields = answer[1:]
        # The Swift server appends `faults F F …` (minor page faults per pass); the times come first.
        if "faults" in fields:
            fields = fields[:fields.index("faults")]
        return [float(t) for t in fields]

    def close(self):
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


def swift_server_binary():
    subprocess.run(["swift", "build", "-c", "release", "--product", "PassServer"], cwd=HERE, check=True, stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=HERE, check=True, capture_output=True, text=True).stdout.strip()
    return str(Path(path) / "PassServer")


def start_busy_loops(count):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def quartiles(values):
    values = sorted(values)
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def measure(swift, torch, configurations, rounds, repeats, log):
    """{(model, pass, batch): {"ratios": [...], "swift": [...], "torch": [...]}} over `rounds`."""
    results = {key: {"ratios": [], "swift": [], "torch": []} for key in configurations}
    for round_index in range(rounds):
        for key in configurations:
            model, pass_name, batch = key
            order = [("swift", swift), ("torch", torch)]
            if round_index % 2:
                order.reverse()
            medians = {}
            for name, server in order:
                medians[name] = statistics.median(server.times(model, pass_name, batch, repeats))
            entry = results[key]
            entry["swift"].append(medians["swift"])
            entry["torch"].append(medians["torch"])
            entry["ratios"].append(medians["swift"] / medians["torch"])
        log(f"  round {round_index + 1}/{rounds} done")
    return results


def callgrind_instructions(binary, model, pass_name, batch):
    """Instructions of one Swift pass: (2 timed passes) − (1 timed pass), single worker.

    valgrind 3.19 cannot read the DWARF 5 debug information of Swift 6 binaries, so it runs a copy
    without it (next to the original, whose folder holds the libraries it loads). valgrind's
    emulated processor has no AVX-512: the counts are those of the AVX2 code paths."""
    stripped = binary + "-nodebug"
    subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
    binary = stripped
    counts = []
    for repeats in (1, 2):
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, "--threads", "1"],
            input=f"{model} {pass_name} {batch} {repeats}\nquit\n", capture_output=True, text=True,
            env=dict(os.environ, GLIBC_TUNABLES=TUNABLES))
        match = re.search(r"Collected\s*:\s*(\d+)", run.stderr)
        if run.returncode != 0 or not match:
            return None
        counts.append(int(match.group(1)))
    return counts[1] - counts[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--load", default="quiet,contended")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="vgg16,resnet50,efficientnet-lite0,cifar-cnn")
    parser.add_argument("--passes", default="forward,saliency,guided-backprop,rectgrad,session")
    parser.add_argument("--batches", default="1")
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--callgrind-models", default="cifar-cnn:1,efficientnet-lite0:1",
                        help="MODEL:BATCH list (under valgrind a pass runs ~100–1000× slower)")
    parser.add_argument("--callgrind-passes", default="forward,saliency,rectgrad")
    parser.add_argument("--isa", default="native", choices=["native", "avx2"],
                        help="avx2: restrict both tools' math libraries to AVX2 + FMA (OpenBLAS core Haswell and the package's own C kernels at AVX2; "
                             "oneDNN / MKL at AVX2), to measure an AVX2-only processor's code paths on an AVX-512 machine")
    parser.add_argument("--swift-tunables", action="store_true",
                        help="run the Swift server with the PyTorch server's GLIBC_TUNABLES too (as before TensorBufferPool)")
    parser.add_argument("--swift-binary", help="a PassServer already built (default: build it with SwiftPM)")
    parser.add_argument("--out", default=str(HERE / "results" / "ratios.md"))
    args = parser.parse_args()
    for load in args.load.split(","):
        if load not in ("quiet", "contended"):
            raise SystemExit(f"--load: unknown load '{load}' (quiet, contended)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    state = machine_state()
    state["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    state["probe_start_ms"] = speed_probe()
    state["command"] = "python3 Benchmarks/ratios.py " + " ".join(sys.argv[1:])
    records = []

    def log(text):
        print(text, file=sys.stderr, flush=True)

    def write():
        lines = [f"# Swift / PyTorch ratios ({state['date']})", "",
                 f"`{state['command']}`", "",
                 f"Processor: {state['processor']}, {state['cores']} cores; SIMD: {', '.join(state['simd'])}"
                 + (" (math libraries restricted to AVX2 + FMA: `--isa avx2`)" if state["isa"] == "avx2" else "") + "; "
                 f"speed probe {state['probe_start_ms']} ms at the start"
                 + (f", {state['probe_end_ms']} ms at the end" if "probe_end_ms" in state else "") + " (lower is faster).", "",
                 "Ratio = Swift time / PyTorch time: median of the per-round ratios [interquartile range]; "
                 "times are medians of the per-round medians (ms per batch); slowdown = contended / quiet median.", "",
                 "| threads | load | model | batch | pass | ratio [IQR] | Swift ms | PyTorch ms | Swift slowdown | PyTorch slowdown |",
                 "| ---: | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: |"]
        quiet = {(r["threads"], r["model"], r["batch"], r["pass"]): r for r in records if r["load"] == "quiet"}
        for r in records:
            base = quiet.get((r["threads"], r["model"], r["batch"], r["pass"]))
            slow_s = f"{r['swift_ms'] / base['swift_ms']:.2f}×" if base and r["load"] == "contended" else ""
            slow_t = f"{r['torch_ms'] / base['torch_ms']:.2f}×" if base and r["load"] == "contended" else ""
            lines.append(f"| {r['threads']} | {r['load']} | {r['model']} | {r['batch']} | {r['pass']} | "
                         f"{r['ratio']:.2f} [{r['ratio_q1']:.2f}–{r['ratio_q3']:.2f}] | {r['swift_ms']:.1f} | {r['torch_ms']:.1f} | {slow_s} | {slow_t} |")
        if "instructions" in state:
            lines += ["", "Swift instructions per pass (valgrind callgrind, 1 worker):", "",
                      "| model | batch | pass | instructions |", "| --- | ---: | --- | ---: |"]
            for item in state["instructions"]:
                count = f"{item['instructions'] / 1e9:.3f} G" if item["instructions"] is not None else "failed"
                lines.append(f"| {item['model']} | {item['batch']} | {item['pass']} | {count} |")
        out.write_text("\n".join(lines) + "\n")
        out.with_suffix(".json").write_text(json.dumps({"machine": state, "results": records}, indent=1))

    binary = args.swift_binary or swift_server_binary()
    models = args.models.split(",")
    passes = args.passes.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    configurations = []
    for model in models:
        for batch in ([100] if model == "cifar-cnn" else batches):
            for pass_name in passes:
                configurations.append((model, pass_name, batch))
    env_swift = dict(os.environ, GLIBC_TUNABLES=TUNABLES) if args.swift_tunables else dict(os.environ)
    env_torch = dict(os.environ, GLIBC_TUNABLES=TUNABLES)
    if args.isa == "avx2":
        env_swift.update(OPENBLAS_CORETYPE="Haswell", RECTGRAD_MAX_ISA="avx2")
        env_torch.update(ONEDNN_MAX_CPU_ISA="AVX2", DNNL_MAX_CPU_ISA="AVX2", MKL_ENABLE_INSTRUCTIONS="AVX2", OPENBLAS_CORETYPE="Haswell")
    state["isa"] = args.isa
    for threads in [int(t) for t in args.threads.split(",")]:
        swift = Server([binary, "--threads", str(threads)], env=env_swift)
        torch = Server([sys.executable, str(HERE / "peer" / "pytorch_server.py"), "--threads", str(threads)], cwd=HERE / "peer",
                       env=env_torch)
        try:
            for load in args.load.split(","):
                busy = start_busy_loops(os.cpu_count() or 1) if load == "contended" else []
                try:
                    log(f"{threads} thread(s), {load}: {len(configurations)} configurations × {args.rounds} rounds")
                    results = measure(swift, torch, configurations, args.rounds, args.repeats, log)
                finally:
                    for process in busy:
                        process.kill()
                for (model, pass_name, batch), entry in results.items():
                    q1, q3 = quartiles(entry["ratios"])
                    records.append({"threads": threads, "load": load, "model": model, "pass": pass_name, "batch": batch,
                                    "ratio": statistics.median(entry["ratios"]), "ratio_q1": q1, "ratio_q3": q3,
                                    "swift_ms": statistics.median(entry["swift"]), "torch_ms": statistics.median(entry["torch"]),
                                    "rounds": entry})
                write()
        finally:
            swift.close()
            torch.close()
    if args.callgrind:
        state["instructions"] = []
        for item in args.callgrind_models.split(","):
            model, _, batch_text = item.partition(":")
            batch = int(batch_text or "1")
            for pass_name in args.callgrind_passes.split(","):
                log(f"callgrind {model} {pass_name}")
                state["instructions"].append({"model": model, "pass": pass_name, "batch": batch,
                                              "instructions": callgrind_instructions(binary, model, pass_name, batch)})
                write()
    state["probe_end_ms"] = speed_probe()
    write()
    print(out.read_text())


if __name__ == "__main__":
    main()
