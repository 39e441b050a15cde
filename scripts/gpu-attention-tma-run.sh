#!/usr/bin/env bash
# One device call (about 3 min, at most 4): the pipelined Hopper attention fed by TMA
# (FlashAttentionHopperWs.attentionTma, -Dapbj.attention.producer=tma) checked against the fp64
# reference, then timed next to its cp.async producer (hopper-pipelined) and PyTorch SDPA on the
# same shapes. Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here
# (carry .device). Results under $OUT.
# Usage: scripts/gpu-attention-tma-run.sh [lengths...]   (default 4096 16384 32768 65536)
#   KERNELS=hopper-pipelined,hopper-tma,...   AttentionBench kernels to time (default below;
#            hopper-pipelined = cp.async producer, hopper-tma = TMA producer, each with an optional
#            :SCHEDULE such as :s3, see FlashAttentionHopperWs.Schedule)
#   NO_TESTS=1   time only
#   gpu-tests.txt  HopperAttentionCudaTest$TmaProducer: every AttentionTest case (causal, APB
#                  [P;A;B] with ragged p/a/b, non-causal with lse, fully masked rows in key splits,
#                  GQA, d = 64 and 128), many key tiles, NaN rows past the keys, every schedule,
#                  dense prefill's RoPE-on-Q/bf16-out form; mbarrier waits bounded (a lost box traps)
#   sdpa.txt       PyTorch SDPA flash at the same causal lengths (and decode)
#   attention.txt  AttentionBench: one line per kernel and case: causal at each length, the APB
#                  shape (p=14336 a=4096 b=16384), mask=chunk (the last 4096-row chunk of a 32K
#                  prefill, dense prefill's attention); ms and TFLOP/s of the visible pairs
#   summary.txt    the GPU, then per case each kernel's TFLOP/s, x over hopper-pipelined (the
#                  cp.async producer) and, for causal, x over SDPA
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
(( $# )) || set -- 4096 16384 32768 65536
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader > "$out/summary.txt" 2>&1
if [[ -z ${NO_TESTS:-} ]]; then
  timeout 80 .device/run-gpu.sh tests --include-classname '.*\.HopperAttentionCudaTest\$TmaProducer' \
    > "$out/gpu-tests.txt" 2>&1
  echo "gpu tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -40
fi
PYTHONUNBUFFERED=1 timeout 75 python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
echo "sdpa rc=$?"
timeout 110 .device/run-gpu.sh main -Dapbj.bench.attentionKernels="${KERNELS:-hopper-pipelined,hopper-tma,hopper-tma:k-ahead,hopper-tma:s3,hopper-tma:s3+k-ahead}" \
  org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
echo "bench rc=$?"
cat "$out/sdpa.txt" "$out/attention.txt"
awk '/^attention / { k=""; m=""; n=""; t="";
       for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1]=="kernel") k=kv[2]; if (kv[1]=="mask") m=kv[2];
                                   if (kv[1]=="length") n=kv[2]; if (kv[1]=="tflops") t=kv[2] }
       if (k ~ /^sdpa/) { if (m == "causal" && k == "sdpa-flash_attention") sdpa[n] = t;
                          if (m == "causal" && k == "sdpa-default") dflt[n] = t; next }
       c = m " " n; if (!(c in seen)) { seen[c] = 1; cases[++nc] = c; lens[c] = n; masks[c] = m }
       r[k, c] = t; if (!(k in ks)) { ks[k] = 1; kernels[++nk] = k } }
     END { for (i = 1; i <= nc; i++) { c = cases[i]; base = r["hopper-pipelined", c]
             for (j = 1; j <= nk; j++) if (r[kernels[j], c] != "")
               printf "%-14s %-28s %7s TFLOP/s  x%s over cp.async  x%s over SDPA flash  x%s over SDPA default\n", c, kernels[j],
                      r[kernels[j], c], base ? sprintf("%.3f", r[kernels[j], c] / base) : "n/a",
                      (masks[c] == "causal" && sdpa[lens[c]]) ? sprintf("%.3f", r[kernels[j], c] / sdpa[lens[c]]) : "n/a",
                      (masks[c] == "causal" && dflt[lens[c]]) ? sprintf("%.3f", r[kernels[j], c] / dflt[lens[c]]) : "n/a" } }' \
  "$out/sdpa.txt" "$out/attention.txt" | tee -a "$out/summary.txt"
