#!/usr/bin/env bash
# A real Slurm run of `rectgrad attribute --shard` on this machine: installs Debian's slurm-wlm
# and munge when missing, writes a single-node configuration on localhost, starts munged,
# slurmctld and slurmd, submits Scripts/slurm/attribute-array.sbatch as a 4-task array over a
# generated image set, waits, and checks that the merged output equals a single-process run:
# every map file byte for byte, and the index rows (without their timings) line for line.
# The daemons are shut down on exit. Needs root (packages, munge key, daemons).
#
#   bash Scripts/slurm-array-test.sh            # COUNT=200 images, rectgrad,saliency
#   RECTGRAD=/path/to/rectgrad COUNT=500 bash Scripts/slurm-array-test.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RECTGRAD="${RECTGRAD:-$ROOT/.build/release/rectgrad}"
COUNT="${COUNT:-200}"
TASKS=4
METHODS="${METHODS:-rectgrad,saliency}"
WORK="$(mktemp -d /tmp/rectgrad-slurm.XXXXXX)"
chmod 755 "$WORK"   # munged runs as the munge user and needs to reach its folder
export SLURM_CONF="$WORK/etc/slurm.conf"

step() { printf '\n== %s\n' "$*"; }
[[ -x "$RECTGRAD" ]] || { echo "no rectgrad binary at $RECTGRAD (swift build -c release --product rectgrad)" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || { echo "run as root (installs packages, starts daemons)" >&2; exit 1; }

step "packages"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
fi
slurmctld -V

cleanup() {
    step "shutdown"
    scontrol shutdown >/dev/null 2>&1 || true
    for pidfile in "$WORK/slurmd.pid" "$WORK/slurmctld.pid" "$WORK/munge/munged.pid"; do
        if [[ -s "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    sleep 1
    for pidfile in "$WORK/slurmd.pid" "$WORK/slurmctld.pid" "$WORK/munge/munged.pid"; do
        if [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill -9 "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    echo "daemons stopped; work folder $WORK"
}
trap cleanup EXIT

step "munge"
mkdir -p "$WORK/munge" && chown munge:munge "$WORK/munge" && chmod 711 "$WORK/munge"
if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
runuser -u munge -- munged --socket="$WORK/munge/munge.socket" --pid-file="$WORK/munge/munged.pid" \
    --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed"
echo "munged running (pid $(cat "$WORK/munge/munged.pid"))"

step "single-node configuration ($SLURM_CONF)"
NODE="$(hostname -s)"
CPUS="$(nproc)"
MEMORY="$(awk '/MemTotal/ { print int($2 / 1024) - 512 }' /proc/meminfo)"
mkdir -p "$WORK/etc" "$WORK/state" "$WORK/spool" "$WORK/logs"
cat > "$SLURM_CONF" <<CONF
ClusterName=rectgrad-test
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.socket
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/logs/slurmctld.log
SlurmdLogFile=$WORK/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEMORY} State=UNKNOWN
PartitionName=local Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
CONF
cat "$SLURM_CONF"

step "daemons"
slurmctld -c
slurmd -c
for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -q idle; then break; fi
    sleep 1
done
sinfo

step "image set: $COUNT images"
"$RECTGRAD" dataset export --count "$COUNT" --out "$WORK/data"

step "job array: $TASKS tasks"
export RECTGRAD INPUT="$WORK/data/images" OUTPUT="$WORK/array" METHODS
start=$(date +%s)
sbatch --wait --array=0-$((TASKS - 1)) --chdir="$WORK/logs" --export=ALL "$ROOT/Scripts/slurm/attribute-array.sbatch"
echo "array finished in $(( $(date +%s) - start )) s"
for log in "$WORK"/logs/rectgrad-attribute-*.log; do echo "--- $(basename "$log")"; cat "$log"; done
ls "$WORK/array" | grep jsonl

step "single-process run"
start=$(date +%s)
RECTGRAD_WORKERS=1 "$RECTGRAD" attribute --model cifar-cnn --method "$METHODS" --batch-size 8 --output "$WORK/single" "$WORK/data/images"
echo "single run finished in $(( $(date +%s) - start )) s"

step "comparison"
# Map files: the same names, the same bytes.
diff -r --exclude='index*.jsonl' "$WORK/single" "$WORK/array"
files=$(find "$WORK/single" -type f ! -name 'index*.jsonl' | wc -l)
echo "map files identical: $files files"
# Index rows: the same set of rows once the per-method timings are removed.
strip() { sed -E 's/"seconds":[^,}]*,?//g' "$@" | sort; }
diff <(strip "$WORK/single/index.jsonl") <(strip "$WORK"/array/index-*-of-$TASKS.jsonl)
rows=$(wc -l < "$WORK/single/index.jsonl")
shards=$(cat "$WORK"/array/index-*-of-$TASKS.jsonl | wc -l)
[[ "$rows" == "$COUNT" && "$shards" == "$COUNT" ]]
echo "index rows identical: $rows rows, split over $TASKS shard index files"
echo "PASS"
