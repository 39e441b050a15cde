#!/usr/bin/env bash
# One device call: the Hopper attention kernels' GPU tests, then attention speed next to PyTorch
# SDPA (same call). Run from the repository root on the GPU machine after scripts/gpu-bundle.sh
# here (carry .device). Results under $OUT. The whole prefill and the cross-check set:
# scripts/gpu-engine-run.sh.
# Usage: scripts/gpu-attention-run.sh [lengths...]   (default 4096 16384 32768 65536)
#   KERNELS=hopper,hopper-pipelined,tensor-core,fp32 to time more kernels (default: the two wgmma
#   ones, old vs new); ALL_TESTS=1 to run CudaKernelsTest too (GEMMs, the other attention kernels).
#   gpu-tests.txt  HopperAttentionCudaTest: FlashAttentionHopper
#                  and FlashAttentionHopperWs (pipelined; mbarrier waits bounded, a lost hand-off
#                  traps) against the fp64 reference: causal, APB [P;A;B] with ragged blocks,
#                  non-causal with lse, fully masked rows (split keys), GQA, d = 64 and 128
#   sdpa.txt       PyTorch SDPA flash at the same causal lengths (and decode)
#   attention.txt  AttentionBench: kernel=hopper (old) / hopper-pipelined (new) lines for causal
#                  at each length and the APB shape p=14336 a=4096 b=16384; ms and TFLOP/s
#   summary.txt    new / old and new / SDPA per causal length
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
tests='.*\.HopperAttentionCudaTest'; [[ ${ALL_TESTS:-} ]] && tests='.*\.(HopperAttentionCudaTest|CudaKernelsTest)'
timeout 300 .device/run-gpu.sh tests --include-classname "$tests" > "$out/gpu-tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -40
python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
timeout 240 .device/run-gpu.sh main -Dapbj.bench.attentionKernels="${KERNELS:-hopper,hopper-pipelined}" \
  org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
echo "bench rc=$?"
cat "$out/sdpa.txt" "$out/attention.txt"
# ratios per causal length: field "tflops=" of each kernel's line
awk '/mask=causal/ { k=""; n=""; t="";
       for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1]=="kernel") k=kv[2]; if (kv[1]=="length") n=kv[2]; if (kv[1]=="tflops") t=kv[2] }
       r[k, n] = t; lens[n] = 1 }
     END { for (n in lens) if (r["hopper", n] && r["hopper-pipelined", n])
             printf "causal %s: new/old %.3f  new/sdpa %s\n", n, r["hopper-pipelined", n] / r["hopper", n],
                    r["sdpa-flash_attention", n] ? sprintf("%.3f", r["hopper-pipelined", n] / r["sdpa-flash_attention", n]) : "n/a" }' \
  "$out/sdpa.txt" "$out/attention.txt" | sort -t' ' -k2 -n | tee "$out/summary.txt"
