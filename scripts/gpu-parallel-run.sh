#!/usr/bin/env bash
# One device call (one H200; about 7 minutes, its steps capped at 2 + 3.3 + 5 min) for issue #15's table:
#  1. GPU tests of the collectives and strategies (about 1-2 min): bytes bit for bit like the
#     communicator on the device and host paths; a sender that overwrites its passing block right
#     after releasing it never reaches a later rank; APB and ring on 4 ranks give the same bits with
#     and without overlap, on the device and the host path. FULL_TESTS=1 adds the rest of the
#     parallel GPU tests (a rank process killed on the IPC and host paths; a few minutes more);
#     SKIP_TESTS=1 runs none.
#  2. the gather of APB's passing block (128K/H=8 shape: l_p=2048, 8 KV heads, d=128, bf16 K and V
#     = 8 MiB per rank), 4 ranks on the one GPU: all-gather and APB's prefix gather (rank r gets
#     ranks 0..r-1) on the device path (threads), IPC (processes) and the forced host path.
#  3. ONE bench run (synthetic 8B shape, 8 of its 32 layers: the per-layer cost is the same),
#     4 ranks on the one GPU, 64K and 128K: APB and ring with and without overlap on the device
#     path, APB on the forced host path, APB as rank processes over CUDA IPC (mpjrun, niodev).
#     The table has the path each job took, the exposed communication's share of prefill (target
#     <= 3% on the device paths, <= 15% on the host path) and the retaining heads' share.
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry
# .device). Results under $OUT; a compact summary at the end.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
t0=$SECONDS
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1
# 1. GPU tests
if [[ -z ${SKIP_TESTS:-} ]]; then
  if [[ -n ${FULL_TESTS:-} ]]; then sel=(--include-package=org.apbj.parallel); limit=420
  else sel=(--select-class=org.apbj.parallel.transfer.CudaCollectivesTest --select-class=org.apbj.parallel.strategy.CudaStrategiesTest); limit=120; fi
  timeout $limit .device/run-gpu.sh tests "${sel[@]}" > "$out/gpu-tests.txt" 2>&1
  echo "parallel gpu tests rc=$? ($((SECONDS - t0)) s)"
fi
# 2. the passing block's gather per path and kind
: > "$out/allgather.txt"
for spec in "threads device all" "threads device prefix" "processes ipc prefix" "threads host prefix"; do
  set -- $spec
  timeout 50 $run org.apbj.parallel.transfer.AllGatherBench --ranks=4 --device=cuda --layers=16 --warmup=2 \
    --mode=$1 --path=$2 --kind=$3 > "$out/allgather-$1-$2-$3.txt" 2>&1
  echo "allgather $1/$2/$3 rc=$? ($((SECONDS - t0)) s)"
  grep -h '^RESULT' "$out/allgather-$1-$2-$3.txt" >> "$out/allgather.txt" || tail -5 "$out/allgather-$1-$2-$3.txt"
done
# 3. one bench run for every variant (each its own rank job; the synthetic model is written once)
timeout 300 $run org.apbj.examples.Main bench --synth=llama-3.1-8b --layers=8 --ranks=4 --device=cuda --in-process \
  --warmup=1 --repeat=1 --lengths=64k,128k \
  --methods=apb,apb/no-overlap,ring,ring/no-overlap,apb@host,apb@ipc \
  --out="$out/bench.json" > "$out/bench.txt" 2>&1
echo "bench rc=$? ($((SECONDS - t0)) s)"
echo "=== summary ==="
if [[ -f $out/gpu-tests.txt ]]; then
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -B1 -A4 "✘" "$out/gpu-tests.txt" | head -30
  grep -h "path: the job ended" "$out/gpu-tests.txt"
fi
cat "$out/allgather.txt"
python3 - "$out/bench.json" <<'PY' 2>/dev/null || { echo "bench: no JSON; its last lines:"; tail -25 "$out/bench.txt"; }
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
print(f"{'variant':18} {'path':6} {'len':>5} {'prefill ms':>10} {'exposed':>8} {'comm ms':>8} {'retaining':>9}")
for c in cells:
    b = c["breakdownMs"]
    print(f"{c['method']:18} {c['commPath']:6} {c['length'] // 1024:>4}K {c['medianPrefillMs']:10.1f} {100 * c['exposedShare']:7.2f}%"
          f" {b['communication']:8.1f} {100 * c['retainingShare']:8.1f}%")
by = {(c["method"], c["length"]): c["medianPrefillMs"] for c in cells}
for n in sorted({c["length"] for c in cells}):
    if ("ring", n) in by and ("ring/no-overlap", n) in by:
        print(f"ring {n // 1024}K: overlap saves {by[('ring/no-overlap', n)] - by[('ring', n)]:.1f} ms")
    if ("apb", n) in by and ("ring", n) in by:
        print(f"apb {n // 1024}K: {by[('ring', n)] / by[('apb', n)]:.2f}x ring")
PY
echo "total $((SECONDS - t0)) s"
