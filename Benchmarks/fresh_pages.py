#!/usr/bin/env python3
"""System time of filling fresh anonymous memory, three ways: ordinary 4 KiB page faults (`4k`),
huge pages advised before the first touch (`huge`, madvise MADV_HUGEPAGE), and all pages mapped
in one call first (`populate`, madvise MADV_POPULATE_WRITE, Linux 5.14+). Each run maps 512 MiB,
writes one byte per 4 KiB page and reports wall, system time and minor faults (getrusage); the
mapping is unmapped after its run, so a run may reuse the pages the previous one freed.

    python3 Benchmarks/fresh_pages.py 4k huge populate 4k huge huge populate

The cold-start section of Docs/benchmarks.md quotes it (why huge pages were not kept)."""
import ctypes
import resource
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS = 0x3, 0x22
MADV_HUGEPAGE, MADV_POPULATE_WRITE = 14, 23
SIZE = 512 << 20


def run(mode):
    address = libc.mmap(None, SIZE, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        raise SystemExit("mmap failed")
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    if mode in ("huge", "populate"):
        if libc.madvise(address, SIZE, MADV_HUGEPAGE if mode == "huge" else MADV_POPULATE_WRITE) != 0:
            print(f"{mode}: madvise refused (errno {ctypes.get_errno()})")
    for offset in range(0, SIZE, 4096):
        ctypes.memset(address + offset, 1, 1)
    elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    libc.munmap(address, SIZE)
    print(f"{mode:8s} {elapsed:.3f} s wall, sys {after.ru_stime - before.ru_stime:.3f} s, "
          f"minor faults {after.ru_minflt - before.ru_minflt}", flush=True)


if __name__ == "__main__":
    for mode in sys.argv[1:]:
        if mode not in ("4k", "huge", "populate"):
            raise SystemExit(f"unknown mode {mode!r} (4k, huge, populate)")
        run(mode)
