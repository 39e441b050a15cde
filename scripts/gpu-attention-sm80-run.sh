#!/usr/bin/env bash
# One device call (about 2-3 minutes; at most 4, each step has its own timeout): the mma.sync
# attention kernels' GPU tests, then their speed next to PyTorch SDPA flash (FlashAttention-2,
# same call): FlashAttention (16 rows per warp, "original", AttentionBench kernel tensor-core)
# against FlashAttentionFa2 (FlashAttention-2's layout, the default -Dapbj.attention.sm80=fa2:
# tensor-core-fa2), both forced onto mma.sync on Hopper too. Run from the repository root on
# the GPU machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
# Usage: scripts/gpu-attention-sm80-run.sh [lengths...]   (default 4096 16384 32768)
#   KERNELS=tensor-core,tensor-core-fa2,hopper-tma to time more kernels
#   (AttentionBench names; the default is the two mma.sync ones)
#   gpu-tests.txt  Sm80AttentionCudaTest: both kernels against the fp64 reference: causal, APB
#                  [P;A;B] with ragged blocks, non-causal with lse, key splits with fully masked
#                  rows, GQA, d = 64 and 128, long key ranges, 1100-row causal (nine groups)
#   sdpa.txt       PyTorch SDPA flash at the same causal lengths (and decode)
#   attention.txt  AttentionBench: kernel=tensor-core / tensor-core-fa2 lines
#                  for causal at each length, the APB shape p=14336 a=4096 b=16384 and the 32K prefill's last chunk
#   summary.txt    per causal length and kernel: TFLOP/s, / SDPA, / original
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
lengths=("$@"); [[ ${#lengths[@]} -gt 0 ]] || lengths=(4096 16384 32768)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
timeout 110 .device/run-gpu.sh tests --include-classname '.*\.Sm80AttentionCudaTest' > "$out/gpu-tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -40
timeout 50 python3 scripts/peer/sdpa_attention.py "${lengths[@]}" > "$out/sdpa.txt" 2>&1
echo "sdpa rc=$?"
timeout 80 .device/run-gpu.sh main -Dapbj.bench.attentionKernels="${KERNELS:-tensor-core,tensor-core-fa2}" \
  org.apbj.kernels.bench.AttentionBench "${lengths[@]}" > "$out/attention.txt" 2>&1
echo "bench rc=$?"
cat "$out/sdpa.txt" "$out/attention.txt"
# ratios per causal length: field "tflops=" of each kernel's line
awk '/mask=causal/ { k=""; n=""; t="";
       for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1]=="kernel") k=kv[2]; if (kv[1]=="length") n=kv[2]; if (kv[1]=="tflops") t=kv[2] }
       r[k, n] = t; lens[n] = 1; if (k !~ /^sdpa/) kernels[k] = 1 }
     function ratio(a, b) { return (a && b) ? sprintf("%.3f", a / b) : "n/a" }
     END { for (n in lens) for (k in kernels) if (r[k, n])
             printf "causal %s %s: %s TFLOP/s  /sdpa %s  /original %s\n", n, k, r[k, n],
                    ratio(r[k, n], r["sdpa-flash_attention", n]), ratio(r[k, n], r["tensor-core", n]) }' \
  "$out/sdpa.txt" "$out/attention.txt" | sort -k2,2n -k3 | tee "$out/summary.txt"
