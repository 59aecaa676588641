#!/usr/bin/env bash
# Checks the Kubernetes Indexed Job manifest without a cluster, as far as that can go:
#
#  1. the manifest validates against Kubernetes' own schemas (`kubernetes-validate --strict`, from
#     PyPI, when installed);
#  2. each pod's container command — taken from the manifest itself (command, args and env), not
#     retyped here — runs in the container's file tree made by Scripts/container/check-run-stage.sh,
#     once per completion index, with JOB_COMPLETION_INDEX set as the Job controller sets it, all
#     pods at once on one shared /data folder;
#  3. the merged output of the pods must equal a single-process run of the same attribution file
#     for file and byte for byte (index rows apart from their timings).
#
#   sudo bash Scripts/kubernetes/check-indexed-job.sh WORKDIR
#
# WORKDIR is the folder check-run-stage.sh used (it holds rootfs/ with the CLI installed). Needs
# root (chroot, mount) and python3 with PyYAML. Not part of CI. What it cannot check: scheduling,
# the persistent volume, restarts by backoffLimitPerIndex and the image registry.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/attribute-indexed-job.yaml"
work="$(cd "${1:?usage: check-indexed-job.sh WORKDIR (the folder of check-run-stage.sh)}" && pwd)"
tree="$work/rootfs"
[[ -x "$tree/usr/local/bin/rectgrad" ]] || { echo "check-indexed-job: $tree has no /usr/local/bin/rectgrad; run Scripts/container/check-run-stage.sh $work first" >&2; exit 2; }
if [[ $EUID -ne 0 ]]; then echo "check-indexed-job: needs root (chroot, mount)" >&2; exit 2; fi

if command -v kubernetes-validate >/dev/null; then
    echo "== schema: kubernetes-validate --strict"
    kubernetes-validate --strict "$manifest"
else
    echo "== schema: skipped (pip install kubernetes-validate to check it)"
fi

# The pod's command line and environment, and the completion count, from the manifest.
pod="$work/pod.env"
python3 - "$manifest" >"$pod" <<'PY'
import shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]
assert spec["completionMode"] == "Indexed", "not an Indexed Job"
container = spec["template"]["spec"]["containers"][0]
print("completions=%d" % spec["completions"])
print("argv=(%s)" % " ".join(shlex.quote(a) for a in container["command"] + container["args"]))
print("environment=(%s)" % " ".join(shlex.quote("%s=%s" % (e["name"], e["value"])) for e in container.get("env", [])))
print("mount=%s" % shlex.quote(container["volumeMounts"][0]["mountPath"]))
PY
# shellcheck disable=SC1090
source "$pod"
echo "== pods: $completions, each running: ${argv[*]}"
[[ "$mount" == /data ]] || { echo "check-indexed-job: the manifest mounts its volume at $mount, expected /data" >&2; exit 1; }

echo "== data: 60 images of the built-in dataset under /data/images"
rm -rf "$tree/data" "$work/single-maps"
mkdir -p "$tree/data"
"$tree/usr/local/bin/rectgrad" dataset export --count 60 --out "$work/export" >/dev/null
cp -R "$work/export/images" "$tree/data/images"

mount -t proc proc "$tree/proc"
trap 'umount "$tree/proc" 2>/dev/null || true' EXIT
pids=()
for ((index = 0; index < completions; index++)); do
    chroot "$tree" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin JOB_COMPLETION_INDEX="$index" "${environment[@]}" \
        "${argv[@]}" >"$work/pod-$index.out" 2>"$work/pod-$index.err" &
    pids+=($!)
done
failed=0
for index in "${!pids[@]}"; do
    if ! wait "${pids[$index]}"; then echo "pod $index failed:"; tail -5 "$work/pod-$index.err"; failed=1; fi
done
[[ $failed -eq 0 ]] || exit 1
for ((index = 0; index < completions; index++)); do echo "pod $index: $(tail -1 "$work/pod-$index.out")"; done

echo "== single process: the same attribution without --shard"
# The pods' command, the shard option removed (every pod's argv ends in the same output and input).
single=$(printf '%s' "${argv[-1]}" | sed -E 's/--shard "[^"]*"//; s#--output /data/maps#--output /data/single-maps#')
chroot "$tree" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin "${environment[@]}" /bin/sh -c "$single" >/dev/null 2>"$work/single.err"
umount "$tree/proc"; trap - EXIT

echo "== compare"
merged="$work/merged.jsonl"
sed -E 's/"seconds":[-0-9.eE+]+//g' "$tree"/data/maps/index-*-of-"$completions".jsonl | sort >"$merged"
sed -E 's/"seconds":[-0-9.eE+]+//g' "$tree/data/single-maps/index.jsonl" | sort >"$work/single.jsonl"
if ! diff -r -q -x 'index*.jsonl' "$tree/data/maps" "$tree/data/single-maps"; then echo "FAIL: map files differ" >&2; exit 1; fi
if ! diff -q "$merged" "$work/single.jsonl" >/dev/null; then echo "FAIL: the shards' index rows differ from the single run's" >&2; exit 1; fi
rows=$(wc -l <"$merged")
echo "PASS: $completions pods wrote $rows index rows (shards disjoint and covering: $(sort -u "$merged" | wc -l) distinct); every map file equals the single process's byte for byte"
