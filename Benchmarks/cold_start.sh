#!/bin/bash
# Cold start of a whole `rectgrad attribute` process (vgg16, RectGrad, batch 1) against the warm
# pass time and the time to read the weights file once.
# Usage: Benchmarks/cold_start.sh RECTGRAD_BINARY WEIGHTS IMAGE OUTDIR [THREADS]
set -u
BIN=$1; W=$2; IMG=$3; OUT=$4; THREADS=${5:-2}
evict() { python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)" "$1"; }
resident() { python3 - "$1" <<'PY'
import mmap, os, sys, ctypes
# fraction of the file's pages in the page cache (mincore)
fd = os.open(sys.argv[1], os.O_RDONLY); size = os.fstat(fd).st_size
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
addr = libc.mmap(None, size, 1, 1, fd, 0)
pages = (size + 4095) // 4096
vec = (ctypes.c_ubyte * pages)()
libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec)
print(f"{sum(v & 1 for v in vec) / pages * 100:.0f}% of {sys.argv[1]} in the page cache")
PY
}
echo "load: $(cat /proc/loadavg)"
ls -l "$W"
for round in 1 2; do
  evict "$W"; resident "$W"
  /usr/bin/time -f "cat cold: %e s wall, %U user, %S sys" cat "$W" > /dev/null
  /usr/bin/time -f "cat warm: %e s wall, %U user, %S sys" cat "$W" > /dev/null
  evict "$W"
  /usr/bin/time -f "process cold cache: %e s wall, %U user, %S sys, %P CPU, max RSS %M KB, major faults %F, minor faults %R" \
    "$BIN" attribute --model vgg16 --weights "$W" --method rectgrad --threads "$THREADS" "$IMG" --output "$OUT/cold-$round.npy" 2>&1 | grep -v "^note"
  /usr/bin/time -f "process warm cache: %e s wall, %U user, %S sys, %P CPU, max RSS %M KB, major faults %F, minor faults %R" \
    "$BIN" attribute --model vgg16 --weights "$W" --method rectgrad --threads "$THREADS" "$IMG" --output "$OUT/warm-$round.npy" 2>&1 | grep -v "^note"
done
echo "load: $(cat /proc/loadavg)"
