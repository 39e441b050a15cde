#!/usr/bin/env bash
# Decode attention on the GPU, one short step (about 1.5 minutes, each part with its own timeout):
#   1. DecodeAttentionCudaTest: the decode kernel and the merge of its key splits against fp64,
#      up to 64 splits;
#   2. DecodeAttentionBench: GB/s of K+V and the fraction of the same run's copy bandwidth at
#      4K/32K/128K, 1/4/16 query rows (device time of back-to-back calls), the
#      host-synchronised single call (as AttentionBench times it) and the marginal 32K->128K rate.
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device).
# Results under $OUT: decode-attention-tests.txt, decode-attention.txt.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
if [[ -z ${SKIP_TESTS:-} ]]; then
  OUT=/tmp/decode-attention-junit timeout 100 .device/run-gpu.sh tests --include-classname '.*DecodeAttentionCudaTest' \
    > "$out/decode-attention-tests.txt" 2>&1; echo "decode attention tests rc=$?"
  grep -E "tests (successful|failed)" "$out/decode-attention-tests.txt"; grep -A3 "✘" "$out/decode-attention-tests.txt" | head -20
fi
timeout 75 .device/run-gpu.sh main org.apbj.kernels.bench.DecodeAttentionBench > "$out/decode-attention.txt" 2>&1
echo "decode attention bench rc=$?"
grep -v '^{' "$out/decode-attention.txt"
