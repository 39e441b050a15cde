#!/usr/bin/env bash
# One device call (one H200, about 8 minutes) for the parallel layer: the GPU-tagged parallel
# tests, the all-gather of APB's passing block (128K/H=8 shape: l_p=2048, 8 KV heads, d=128, bf16
# K and V = 8 MiB per rank) on each path with 4 ranks on the one GPU, and bench with 4 ranks on
# the one GPU: APB and ring at 64K and 128K on the synthetic 8B shape, with and without overlap;
# the bench table's "retaining" column is the retaining heads' share of APB prefill (scores, top-k,
# gathering the passing block; issue #13 holds it to 5% at 128K). The GPU tests include a rank
# process killed mid-collective on the IPC and on the host path (the job must end in < 30 s).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry
# .device). Results under $OUT; a compact summary at the end.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
bench="org.apbj.parallel.transfer.AllGatherBench --ranks=4 --device=cuda --layers=32"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1
# 1. GPU-tagged tests of the parallel module (collectives on the device and host paths, strategies on
#    CUDA, a killed rank on the IPC and host paths)
[[ ${SKIP_TESTS:-} ]] || timeout 240 .device/run-gpu.sh tests --include-package=org.apbj.parallel > "$out/gpu-tests.txt" 2>&1
echo "parallel gpu tests rc=$?"
# 2. the all-gather per path: threads of one JVM sharing the GPU (device copies), processes on the
#    GPU (CUDA IPC), and the cross-machine path forced (pinned host staging + MPJ), threads and processes
: > "$out/allgather.txt"
for spec in "threads device" "processes ipc" "threads host" "processes host"; do
  set -- $spec
  timeout 90 $run $bench --mode=$1 --path=$2 > "$out/allgather-$1-$2.txt" 2>&1; echo "allgather $1/$2 rc=$?"
  grep -h '^RESULT' "$out/allgather-$1-$2.txt" >> "$out/allgather.txt" || tail -5 "$out/allgather-$1-$2.txt"
done
# 3. bench: 4 ranks (threads) on the one GPU, 8 of the 32 layers of the 8B shape (same per-layer cost)
common="bench --synth=llama-3.1-8b --layers=8 --ranks=4 --device=cuda --in-process --warmup=1 --repeat=1"
timeout 200 $run org.apbj.examples.Main $common --methods=apb,ring --lengths=64k,128k \
  --out="$out/bench-overlap.json" > "$out/bench-overlap.txt" 2>&1; echo "bench overlap rc=$?"
timeout 150 $run -Dapbj.comm.overlap=false org.apbj.examples.Main $common --methods=apb,ring --lengths=128k \
  --out="$out/bench-no-overlap.json" > "$out/bench-no-overlap.txt" 2>&1; echo "bench no-overlap rc=$?"
echo "=== summary ==="
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt" 2>/dev/null; grep -B1 -A4 "✘" "$out/gpu-tests.txt" 2>/dev/null | head -30
grep -h "path: the job ended" "$out/gpu-tests.txt" 2>/dev/null
cat "$out/allgather.txt"
for f in bench-overlap bench-no-overlap; do echo "--- $f"; grep -E "^\s*(apb|ring)|prefill ms|exposed|Error|error" "$out/$f.txt" | head -12; done
# the retaining heads' share of APB prefill per length (from the bench JSON: the rank where it is largest)
python3 - "$out/bench-overlap.json" <<'PY' 2>/dev/null || echo "retaining share: no bench JSON"
import json, sys
for c in json.load(open(sys.argv[1]))["cells"]:
    if c["method"] == "apb":
        b = c["breakdownMs"]
        print(f"retaining share apb {c['length']}: {100 * c['retainingShare']:.2f}% of prefill device time"
              f" (retaining {b['retaining']:.1f} ms, qkv {b['qkv']:.1f} ms, attention {b['attention']:.1f} ms on the slowest rank)")
PY
