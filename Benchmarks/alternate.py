#!/usr/bin/env python3
"""Two builds of the Swift pass server, alternated request by request (A/B on a noisy machine).

    python3 Benchmarks/alternate.py BINARY_A BINARY_B [--threads 2] [--rounds 3]
        [--requests resnet50:saliency:1,resnet50:saliency:8] [--requests-b …] [--env-a K=V,...] [--env-b K=V,...]

Each round sends every request to A and to B (the one that goes first alternates) and records
the median time per image; a server that reports page faults (`ok … faults …`) has them recorded
too. Prints, per request, the median over rounds of the per-image time of each build and of the
per-round ratio B / A (with its range over rounds), and the minor page faults per pass.

`--requests-b` gives B its own requests, one per request of A (e.g. the same build twice, A timing
`resnet50@W.safetensors` and B `resnet50.onnx`: the imported model against the zoo's, same weights).
"""
import argparse
import os
import statistics
import subprocess
import sys


class Server:
    def __init__(self, binary, threads, env):
        self.process = subprocess.Popen([binary, "--threads", str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1, env=env)
        if not self.process.stdout.readline().startswith("ready"):
            raise SystemExit(f"{binary} did not start")

    def run(self, model, pass_name, batch, repeats):
        self.process.stdin.write(f"{model} {pass_name} {batch} {repeats}\n")
        self.process.stdin.flush()
        fields = self.process.stdout.readline().split()
        if not fields or fields[0] != "ok":
            raise SystemExit(f"server error: {' '.join(fields)}")
        fields = fields[1:]
        faults = []
        if "faults" in fields:
            faults = [int(f) for f in fields[fields.index("faults") + 1:]]
            fields = fields[:fields.index("faults")]
        return [float(t) for t in fields], faults

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=60)


def environment(text):
    env = dict(os.environ)
    for item in filter(None, (text or "").split(",")):
        key, _, value = item.partition("=")
        env[key] = value
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--requests", default="resnet50:saliency:1,resnet50:saliency:8")
    parser.add_argument("--requests-b", default="", help="B's requests, one per request of A (default: the same)")
    parser.add_argument("--env-a", default="")
    parser.add_argument("--env-b", default="")
    args = parser.parse_args()
    servers = {"A": Server(args.a, args.threads, environment(args.env_a)), "B": Server(args.b, args.threads, environment(args.env_b))}
    requests = [tuple(r.split(":")) for r in args.requests.split(",")]
    requests_b = [tuple(r.split(":")) for r in args.requests_b.split(",")] if args.requests_b else requests
    if len(requests_b) != len(requests):
        raise SystemExit("--requests-b needs one request per request of --requests")
    counterpart = dict(zip(requests, requests_b))
    results = {r: {"A": [], "B": [], "ratio": [], "faultsA": [], "faultsB": []} for r in requests}
    try:
        for round_index in range(args.rounds):
            for request in requests:
                model, pass_name, batch = request[0], request[1], int(request[2])
                order = ["A", "B"] if round_index % 2 == 0 else ["B", "A"]
                per_image = {}
                for name in order:
                    asked = request if name == "A" else counterpart[request]
                    times, faults = servers[name].run(asked[0], asked[1], int(asked[2]), args.repeats)
                    per_image[name] = statistics.median(times) / batch
                    results[request]["faults" + name] += faults
                results[request]["A"].append(per_image["A"])
                results[request]["B"].append(per_image["B"])
                results[request]["ratio"].append(per_image["B"] / per_image["A"])
            print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.close()
    print("| model | pass | batch | A ms/image | B ms/image | B / A (median of rounds) | B / A range | A faults/pass | B faults/pass |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for request, entry in results.items():
        fa = f"{statistics.median(entry['faultsA']):.0f}" if entry["faultsA"] else "–"
        fb = f"{statistics.median(entry['faultsB']):.0f}" if entry["faultsB"] else "–"
        print(f"| {request[0]} | {request[1]} | {request[2]} | {statistics.median(entry['A']):.1f} | {statistics.median(entry['B']):.1f} | "
              f"{statistics.median(entry['ratio']):.3f} | {min(entry['ratio']):.3f}–{max(entry['ratio']):.3f} | {fa} | {fb} |")


if __name__ == "__main__":
    main()
