#!/usr/bin/env bash
# One device call (one H200; about 4-5 minutes expected, every step capped: 9.3 minutes at most) for issue #15's exposed
# communication of APB with 4 ranks sharing the GPU, the new schedule next to the old:
#  1. GPU tests (about 1-1.5 min): the CUDA second queue (its stream has the greatest priority, so do
#     priority copy streams; its work is ordered with the main stream exactly where asked;
#     allocations and synchronous copies inside its run are safe), what exposed communication
#     measures (a wait for longer work on another stream is charged that work's time, a wait for
#     work done while the compute stream was busy about nothing), and the strategies on the GPU,
#     among them APB with early selection giving the bits, selections and tokens of the in-line
#     schedule on 4 ranks, over the device and the host path.
#  2. a synthetic 8B-shaped model with 8 of its 32 layers (the per-layer cost is the same), written once.
#  3. bench, 4 ranks (threads) on the one GPU, device path, 64K and 128K:
#       early   APB with early selection (the default: selection on a stream of the greatest
#               priority, priority copy streams), ring with and without overlap;
#       inline  APB with -Dapbj.apb.early-selection=false (the schedule of the last measurement);
#       ipc     APB as rank processes over CUDA IPC (mpjrun), 128K only.
#     Exposed communication = device time the slowest rank's compute stream stood still at its
#     waits (device marks around them): for the passing data, and (early) for the selection queue
#     before the next layer's projections. Target <= 3% of APB prefill on the device paths. Every
#     rank's exposed ms are printed too (a faster rank may stand still while the slowest catches up).
#  4. AllGatherBench --kind=prefix (APB's passing-block gather, 128K/H=8 shape, 8 MiB per rank):
#     threads on the device path and processes over IPC.
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device).
# At most 7 files under $OUT: tests.txt, bench.log, bench-early.json, bench-inline.json,
# bench-ipc.json, allgather.txt, summary.txt (also printed at the end).
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
tmp=/tmp/apbj-exposed; mkdir -p "$tmp"
t0=$SECONDS
log() { echo "$*" | tee -a "$out/summary.txt"; }
: > "$out/summary.txt"
log "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)"
# 1. GPU tests (JUnit's report folder stays out of $OUT: few files come back)
if [[ -z ${SKIP_TESTS:-} ]]; then
  OUT=$tmp/junit timeout 120 .device/run-gpu.sh tests --include-classname '.*(CudaSecondQueueTest|CudaExposedTimingTest|CudaStrategiesTest)' \
    > "$out/tests.txt" 2>&1
  log "gpu tests rc=$? ($((SECONDS - t0)) s)"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/tests.txt" | tee -a "$out/summary.txt"
  grep -B1 -A4 "✘" "$out/tests.txt" | head -30 | tee -a "$out/summary.txt"
  grep -h -e "stream priorities" -e "adds alone" "$out/tests.txt" | tee -a "$out/summary.txt"
fi
# 2. the model, once
model=$tmp/llama-8b-8l
timeout 75 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --layers=8 --out=$model > "$tmp/synth.txt" 2>&1
log "synth-model rc=$? ($((SECONDS - t0)) s)"
# 3. bench: the new schedule (default), the old one (opt-out property), IPC
bench=(org.apbj.examples.Main bench --model=$model --ranks=4 --device=cuda --in-process --allow-long-context --warmup=1 --repeat=1)
: > "$out/bench.log"
timeout 150 $run "${bench[@]}" --lengths=64k,128k --methods=apb,ring,ring/no-overlap \
  --out="$out/bench-early.json" --chart=$tmp/early.png >> "$out/bench.log" 2>&1
log "bench early rc=$? ($((SECONDS - t0)) s)"
timeout 70 $run -Dapbj.apb.early-selection=false "${bench[@]}" --lengths=64k,128k --methods=apb \
  --out="$out/bench-inline.json" --chart=$tmp/inline.png >> "$out/bench.log" 2>&1
log "bench inline rc=$? ($((SECONDS - t0)) s)"
timeout 70 $run "${bench[@]}" --lengths=128k --methods=apb@ipc \
  --out="$out/bench-ipc.json" --chart=$tmp/ipc.png >> "$out/bench.log" 2>&1
log "bench ipc rc=$? ($((SECONDS - t0)) s)"
# 4. the passing block's prefix gather per path
: > "$out/allgather.txt"
for spec in "threads device" "processes ipc"; do
  set -- $spec
  timeout 35 $run org.apbj.parallel.transfer.AllGatherBench --ranks=4 --device=cuda --layers=16 --warmup=2 \
    --mode=$1 --path=$2 --kind=prefix > "$tmp/allgather-$1-$2.txt" 2>&1
  log "allgather $1/$2/prefix rc=$? ($((SECONDS - t0)) s)"
  grep -h '^RESULT' "$tmp/allgather-$1-$2.txt" >> "$out/allgather.txt" || tail -5 "$tmp/allgather-$1-$2.txt" >> "$out/allgather.txt"
done
log "=== summary ==="
cat "$out/allgather.txt" | tee -a "$out/summary.txt"
python3 - "$out" <<'PY' 2>&1 | tee -a "$out/summary.txt"
import json, os, sys
out = sys.argv[1]
rows = []
for tag in ("early", "inline", "ipc"):
    f = os.path.join(out, f"bench-{tag}.json")
    if not os.path.exists(f):
        print(f"bench {tag}: no JSON (see bench.log)")
        continue
    for c in json.load(open(f))["cells"]:
        rows.append((tag, c))
print(f"{'schedule':8} {'variant':16} {'path':6} {'len':>5} {'prefill ms':>10} {'exposed':>8} {'exposed ms':>10} {'comm ms':>8} {'retaining':>9}")
for tag, c in rows:
    b = c["breakdownMs"]
    sched = tag if c["method"].startswith("apb") else "-"
    per_rank = " / ".join(f"{e:.1f}" for e in c.get("exposedPerRankMs", []))
    print(f"{sched:8} {c['method']:16} {c['commPath']:6} {c['length'] // 1024:>4}K {c['medianPrefillMs']:10.1f} "
          f"{100 * c['exposedShare']:7.2f}% {b['exposed_communication']:10.1f} {b['communication']:8.1f} {100 * c['retainingShare']:8.1f}%"
          f"   exposed per rank {per_rank} ms")
by = {(tag, c["method"], c["length"]): c for tag, c in rows}
for n in sorted({c["length"] for _, c in rows}):
    e, i, r, rn = (by.get(k) for k in [("early", "apb", n), ("inline", "apb", n), ("early", "ring", n), ("early", "ring/no-overlap", n)])
    if e and i:
        print(f"{n // 1024}K apb early vs inline: prefill {e['medianPrefillMs']:.1f} vs {i['medianPrefillMs']:.1f} ms,"
              f" exposed {100 * e['exposedShare']:.2f}% vs {100 * i['exposedShare']:.2f}% (target <= 3%)")
    if e and r:
        print(f"{n // 1024}K apb (early) = {r['medianPrefillMs'] / e['medianPrefillMs']:.2f}x ring")
    if r and rn:
        print(f"{n // 1024}K ring overlap: exposed {100 * rn['exposedShare']:.2f}% -> {100 * r['exposedShare']:.2f}%,"
              f" saves {rn['medianPrefillMs'] - r['medianPrefillMs']:.1f} ms")
PY
log "total $((SECONDS - t0)) s"
