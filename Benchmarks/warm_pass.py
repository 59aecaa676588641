#!/usr/bin/env python3
"""Warm pass time of a PassServer (vgg16 rectgrad batch 1): wall ms per pass as the server reports
it, and the server process's CPU time per pass (from /proc, over the same passes).
Usage: warm_pass.py PASS_SERVER THREADS REPEATS"""
import os, subprocess, sys
binary, threads, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824")
p = subprocess.Popen([binary, "--threads", threads], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1)
print(p.stdout.readline().strip())
def ask(line):
    p.stdin.write(line + "\n"); p.stdin.flush(); return p.stdout.readline().split()
def cpu():
    fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
print("load:", open("/proc/loadavg").read().strip())
ask("vgg16 rectgrad 1 2")
before = cpu()
answer = ask(f"vgg16 rectgrad 1 {repeats}")
after = cpu()
fields = answer[1:answer.index("faults")] if "faults" in answer else answer[1:]  # times, then the faults per pass
times = sorted(float(t) for t in fields)
print(f"threads {threads}: wall ms per pass {times} (median {times[len(times)//2]:.0f}); CPU per pass {(after - before) / repeats:.0f} ms")
print("load:", open("/proc/loadavg").read().strip())
p.stdin.write("quit\n"); p.stdin.flush(); p.wait(timeout=60)
