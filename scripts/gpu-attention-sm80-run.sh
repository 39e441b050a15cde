#!/usr/bin/env bash
# One device call (about 3 minutes; at most 4, each step has its own timeout): the mma.sync
# attention kernels' GPU tests, then FlashAttentionFa2's forms timed next to PyTorch SDPA flash
# (FlashAttention-2, same call), all forced onto mma.sync on Hopper too. Run from the repository
# root on the GPU machine after scripts/gpu-bundle.sh here (carry .device). One log comes back:
# $OUT/attention-sm80.log.
# Usage: scripts/gpu-attention-sm80-run.sh [lengths...]   (default 16384 32768)
#   KERNELS=...  AttentionBench kernel names, comma-separated; the default times FlashAttentionFa2
#                (tensor-core-fa2[:FORM], -Dapbj.attention.fa2Form) as it was (original), with the
#                maxNum softmax max alone (fast-max), as the default (fast-max+lazy-rescale), and
#                with swizzled tiles at two and three K/V stages
# The log's sections:
#   gpu tests  Sm80AttentionCudaTest against the fp64 reference: FlashAttentionFa2's default form
#              and FlashAttention on every AttentionTest case (causal, APB [P;A;B] with ragged
#              blocks, non-causal with lse, key splits with fully masked rows, GQA, d = 64 and
#              128, long key ranges, 1100-row causal); the other forms on AttentionTest.fa2FormCases
#              (growing logits for the lazy rescale, d = 128 over four tiles, splits, non-causal)
#   sdpa       PyTorch SDPA flash at the same causal lengths (and decode)
#   bench      AttentionBench: one line per kernel for causal at each length, the APB shape
#              p=14336 a=4096 b=16384 and the 32K prefill's last chunk
#   summary    per causal length and kernel: TFLOP/s, / SDPA flash, / FlashAttentionFa2 original
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"; log=$out/attention-sm80.log; : > "$log"
lengths=("$@"); [[ ${#lengths[@]} -gt 0 ]] || lengths=(16384 32768)
kernels=${KERNELS:-tensor-core-fa2:original,tensor-core-fa2:fast-max,tensor-core-fa2,tensor-core-fa2:fast-max+lazy-rescale+swizzle,tensor-core-fa2:fast-max+lazy-rescale+swizzle+s3}
tmp=$(mktemp -d)
section() { echo "=== $1" | tee -a "$log"; }
section gpu; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv >> "$log" 2>&1
section "gpu tests"
timeout 125 .device/run-gpu.sh tests --include-classname '.*\.Sm80AttentionCudaTest' > "$tmp/tests.txt" 2>&1
echo "gpu tests rc=$?" | tee -a "$log"
grep -E "tests (successful|failed|skipped|aborted)" "$tmp/tests.txt" | tee -a "$log"
grep -A6 "✘" "$tmp/tests.txt" | head -60 | tee -a "$log"
section sdpa
timeout 40 python3 scripts/peer/sdpa_attention.py "${lengths[@]}" > "$tmp/sdpa.txt" 2>&1
echo "sdpa rc=$?" | tee -a "$log"; cat "$tmp/sdpa.txt" >> "$log"
section bench
timeout 70 .device/run-gpu.sh main -Dapbj.bench.attentionKernels="$kernels" \
  org.apbj.kernels.bench.AttentionBench "${lengths[@]}" > "$tmp/bench.txt" 2>&1
echo "bench rc=$?" | tee -a "$log"; cat "$tmp/bench.txt" >> "$log"
section summary
# ratios per causal length: field "tflops=" of each kernel's line
awk '/mask=causal/ { k=""; n=""; t="";
       for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1]=="kernel") k=kv[2]; if (kv[1]=="length") n=kv[2]; if (kv[1]=="tflops") t=kv[2] }
       r[k, n] = t; lens[n] = 1; if (k !~ /^sdpa/) kernels[k] = 1 }
     function ratio(a, b) { return (a && b) ? sprintf("%.3f", a / b) : "n/a" }
     END { for (n in lens) for (k in kernels) if (r[k, n])
             printf "causal %s %s: %s TFLOP/s  /sdpa-flash %s  /fa2-original %s\n", n, k, r[k, n],
                    ratio(r[k, n], r["sdpa-flash_attention", n]), ratio(r[k, n], r["tensor-core-fa2:original", n]) }' \
  "$tmp/sdpa.txt" "$tmp/bench.txt" | sort -k2,2n -k3 | tee -a "$log"
rm -rf "$tmp"
