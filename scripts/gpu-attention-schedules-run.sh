#!/usr/bin/env bash
# One device call (~2-3 min): the pipelined Hopper attention's schedules (FlashAttentionHopperWs.Schedule)
# checked, then timed side by side on the same inputs. Run from the repository root on the GPU
# machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
# Usage: scripts/gpu-attention-schedules-run.sh [lengths...]   (default 4096 16384 32768)
#   SCHEDULES=original,default,s3+longest-first,...   the schedules to time (default below)
#   NO_TESTS=1   time only (skips HopperAttentionCudaTest)
#   gpu-tests.txt  HopperAttentionCudaTest: both wgmma kernels and every schedule of the pipelined
#                  one against the fp64 reference (mbarrier waits bounded: a lost hand-off traps)
#   attention.txt  AttentionBench: one line per kernel=hopper-pipelined:SCHEDULE and case
#                  (causal at each length, the APB shape, mask=chunk: the last 4096-row chunk of a
#                  32K prefill); ms and TFLOP/s of the visible pairs
#   summary.txt    each schedule's TFLOP/s over the original schedule's, per case
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
(( $# )) || set -- 4096 16384 32768
if [[ -z ${NO_TESTS:-} ]]; then
  timeout 240 .device/run-gpu.sh tests --include-classname '.*\.HopperAttentionCudaTest' > "$out/gpu-tests.txt" 2>&1
  echo "gpu tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -40
fi
schedules=${SCHEDULES:-original,default,s3+longest-first,longest-first+own-ranges,s3+longest-first+own-ranges}
kernels=$(tr ',' '\n' <<< "$schedules" | sed 's/^/hopper-pipelined:/' | paste -sd,)
timeout 150 .device/run-gpu.sh main -Dapbj.bench.attentionKernels="$kernels" \
  org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
echo "bench rc=$?"
cat "$out/attention.txt"
awk '/^attention / { k=""; m=""; n=""; t="";
       for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1]=="kernel") k=kv[2]; if (kv[1]=="mask") m=kv[2];
                                   if (kv[1]=="length") n=kv[2]; if (kv[1]=="tflops") t=kv[2] }
       c = m " " n; if (!(c in seen)) { seen[c] = 1; cases[++nc] = c }
       r[k, c] = t; if (!(k in ks)) { ks[k] = 1; kernels[++nk] = k } }
     END { for (i = 1; i <= nc; i++) { c = cases[i]; base = r["hopper-pipelined:original", c]
             for (j = 1; j <= nk; j++) if (r[kernels[j], c] != "")
               printf "%-18s %-45s %7s TFLOP/s  x%s\n", c, kernels[j], r[kernels[j], c],
                      base ? sprintf("%.3f", r[kernels[j], c] / base) : "n/a" } }' \
  "$out/attention.txt" | tee "$out/summary.txt"
