#!/usr/bin/env python3
"""Runs `rectgrad attribute` (vgg16, random weights, RectGrad, one photo) at --threads 1 and 2,
sampling /proc/PID/task every 2 ms: the most threads seen, and at the last sample the CPU time
(user + system) of the main thread and of all other threads. Also /usr/bin/time's CPU%.
Usage: threads_cpu.py RECTGRAD IMAGE OUTDIR ROUNDS"""
import os, subprocess, sys, time
binary, image, out, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tick = os.sysconf("SC_CLK_TCK")

def ticks(pid, tid):
    try:
        text = open(f"/proc/{pid}/task/{tid}/stat").read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])

def run(threads, env_extra=None, label=None):
    env = dict(os.environ, **(env_extra or {}))
    cmd = ["/usr/bin/time", "-f", "%e s wall, %U s user, %S s sys, %P CPU", binary, "attribute", "--model", "vgg16", "--random-weights",
           "--method", "rectgrad", "--threads", str(threads), image, "--output", f"{out}/t{threads}-{label}.npy"]
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    # the child of /usr/bin/time
    child = None
    most, main_ticks, other_ticks = 0, 0, 0
    while p.poll() is None:
        if child is None:
            try:
                kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
                child = int(kids[0]) if kids else None
            except OSError:
                pass
        if child is not None:
            try:
                tids = [int(t) for t in os.listdir(f"/proc/{child}/task")]
            except OSError:
                tids = []
            if tids:
                most = max(most, len(tids))
                values = {t: ticks(child, t) for t in tids}
                if all(v is not None for v in values.values()):
                    main_ticks = values.get(child, main_ticks)
                    other_ticks = sum(v for t, v in values.items() if t != child)
        time.sleep(0.002)
    timing = [l for l in p.stderr.read().splitlines() if "wall" in l][-1]
    name = label if env_extra is None else label + " " + " ".join(f"{k}={v}" for k, v in env_extra.items())
    print(f"--threads {threads} ({name}): {timing}; at most {most} threads; CPU at the last sample: main thread "
          f"{main_ticks * 1000 // tick} ms, other threads {other_ticks * 1000 // tick} ms", flush=True)

print("load:", open("/proc/loadavg").read().strip(), flush=True)
for r in range(rounds):
    for t in (1, 2):
        run(t, label=f"round {r + 1}")
run(1, {"OPENBLAS_NUM_THREADS": "1"}, label="openblas")
print("load:", open("/proc/loadavg").read().strip(), flush=True)
