#!/usr/bin/env bash
# Runs a command while sampling the GPU's SM clock, power draw and temperature every 100 ms into
# $OUT/clocks-NAME.csv, then prints the samples' summary on stderr (those with the GPU busy: utilisation > 50%),
# so that the command's own stdout stays what it was.
# Usage (GPU machine): scripts/gpu-clocks.sh NAME command args...
# Why: a kernel timed alone can run at higher clocks than the same kernel between GEMMs in a
# prefill, when the GPU is at its power limit; the samples say which clocks each figure had.
set -uo pipefail
name=$1; shift
o=${OUT:-gpu-out}; mkdir -p "$o"
csv="$o/clocks-$name.csv"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,utilization.gpu,clocks_event_reasons.active \
  --format=csv,noheader,nounits -lms 100 > "$csv" 2>/dev/null &
sampler=$!
"$@"; rc=$?
kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
python3 - "$csv" "$name" >&2 <<'PY'
import sys, statistics
rows = []
for line in open(sys.argv[1]):
    f = [x.strip() for x in line.split(",")]
    try:
        rows.append((float(f[1]), float(f[2]), float(f[3]), float(f[4]), f[5]))
    except (ValueError, IndexError):
        pass
busy = [r for r in rows if r[3] > 50]
if busy:
    clk = [r[0] for r in busy]; pw = [r[1] for r in busy]
    reasons = sorted(set(r[4] for r in busy))
    print(f"clocks {sys.argv[2]}: {len(busy)} busy samples, SM MHz median {statistics.median(clk):.0f} "
          f"(min {min(clk):.0f}, max {max(clk):.0f}), power W median {statistics.median(pw):.0f} (max {max(pw):.0f}), "
          f"temp max {max(r[2] for r in busy):.0f} C, throttle reasons {reasons}")
else:
    print(f"clocks {sys.argv[2]}: no busy samples ({len(rows)} in all)")
PY
exit $rc
