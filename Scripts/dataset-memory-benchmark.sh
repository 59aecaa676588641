#!/usr/bin/env bash
# Peak memory of a dataset run against the number of images: exports N shapes images for each
# N, runs `rectgrad attribute` over them (cifar-cnn, rectgrad and saliency, npy and heatmaps) under
# /usr/bin/time -v, and prints N, wall time, images/s and peak resident memory. A streaming run
# keeps the peak flat: only the listing and the resume set grow with N (a path string per image).
#
#   bash Scripts/dataset-memory-benchmark.sh            # N = 250 1000 4000
#   COUNTS="500 8000" bash Scripts/dataset-memory-benchmark.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RECTGRAD="${RECTGRAD:-$ROOT/.build/release/rectgrad}"
COUNTS="${COUNTS:-250 1000 4000}"
WORK="$(mktemp -d /tmp/rectgrad-memory.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

printf '%8s %10s %10s %14s\n' images wall_s images/s peak_rss_MB
for count in $COUNTS; do
    "$RECTGRAD" dataset export --count "$count" --out "$WORK/data-$count" >/dev/null
    /usr/bin/time -v -o "$WORK/time-$count" "$RECTGRAD" attribute --model cifar-cnn --method rectgrad,saliency \
        --batch-size 8 --progress-interval 100000 --output "$WORK/maps-$count" --manifest "$WORK/data-$count/manifest.csv" >/dev/null 2>&1
    wall=$(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time-$count")
    rss=$(awk -F': ' '/Maximum resident/ { printf "%.1f", $2 / 1024 }' "$WORK/time-$count")
    printf '%8d %10.1f %10.1f %14s\n' "$count" "$wall" "$(echo "$count / $wall" | bc -l)" "$rss"
    rm -rf "$WORK/data-$count" "$WORK/maps-$count"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
