#!/usr/bin/env bash
# One device call: GPU-tagged tests (CUDA), attention speed vs PyTorch SDPA (same run), the
# 8B-shaped dense prefill, and the cross-check set. Run from the repository root on the GPU
# machine after scripts/gpu-bundle.sh here (carry .device; the cross-check files go in
# .device/crosscheck). Results under $OUT. Usage: scripts/gpu-attention-run.sh [lengths...]
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
here=$(pwd)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
.device/run-gpu.sh main org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
cat "$out/sdpa.txt" "$out/attention.txt"
timeout 200 .device/run-gpu.sh tests > "$out/gpu-tests.txt" 2>&1; echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"
timeout 150 .device/run-gpu.sh main org.apbj.model.bench.PrefillBench --synthetic llama-3.1-8b --tokens 32768 --decode 4 --device cuda > "$out/prefill-8b-32k.txt" 2>&1
tail -3 "$out/prefill-8b-32k.txt"
if [[ -d .device/crosscheck ]]; then
  gunzip -c .device/crosscheck/tiny-niah-72.samples.jsonl.gz > /tmp/cc.jsonl
  timeout 300 .device/run-gpu.sh main org.apbj.examples.Main eval --model models/tiny-niah --dataset /tmp/cc.jsonl \
    --methods dense,apb,star --ranks 4 --device cuda --in-process --out "$out/crosscheck.json" > "$out/crosscheck.txt" 2>&1
  echo "crosscheck rc=$?"
  python3 scripts/crosscheck.py "$out/crosscheck.samples.jsonl" .device/crosscheck/tiny-niah-72.reference.jsonl | tee "$out/crosscheck-compare.txt"
fi
