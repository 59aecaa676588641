#!/usr/bin/env python3
"""Whole processes, alternated: each round runs every configuration once (order rotated each round)
under /usr/bin/time; prints every run and a table of the medians (wall with its range, user, sys
with its range, user + sys, minor faults, max RSS).

    python3 Benchmarks/processes.py ROUNDS CONFIG_FILE

CONFIG_FILE has one configuration a line, `LABEL<TAB>COMMAND` (the command split as a shell would,
without a shell: write `sh -c '…'` for redirections). Used for the cold-start and ONNX-import
before/after tables of Docs/benchmarks.md and Docs/onnx.md."""
import shlex, statistics, subprocess, sys
rounds = int(sys.argv[1])
configs = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[2]) if line.strip()]
results = {label: [] for label, _ in configs}
print("load:", open("/proc/loadavg").read().strip(), flush=True)
for r in range(rounds):
    order = configs[r % len(configs):] + configs[:r % len(configs)]
    for label, command in order:
        p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %R %M"] + shlex.split(command), capture_output=True, text=True)
        line = [l for l in p.stderr.splitlines() if l.startswith("TIME ")]
        if p.returncode != 0 or not line:
            print(label, "FAILED", p.stderr[-500:]); sys.exit(1)
        wall, user, system, minor, rss = line[-1].split()[1:]
        results[label].append((float(wall), float(user), float(system), int(minor), int(rss)))
        print(f"round {r+1} {label}: wall {wall} user {user} sys {system} minor {minor} maxRSS {rss} KB", flush=True)
print("load:", open("/proc/loadavg").read().strip())
print("| configuration | wall (median, range) | user | sys | user+sys | minor faults | max RSS |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, runs in results.items():
    col = list(zip(*runs))
    med = lambda i: statistics.median(col[i])
    cpu = [u + s for u, s in zip(col[1], col[2])]
    print(f"| {label} | {med(0):.2f} s ({min(col[0]):.2f}–{max(col[0]):.2f}) | {med(1):.2f} s | {med(2):.2f} s ({min(col[2]):.2f}–{max(col[2]):.2f}) | {statistics.median(cpu):.2f} s | {med(3):,.0f} | {med(4)/1024:,.0f} MB |")
