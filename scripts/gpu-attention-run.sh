#!/usr/bin/env bash
# One device call: attention speed next to PyTorch SDPA (same call). Run from the repository root
# on the GPU machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
# Tests, the whole prefill and the cross-check set: scripts/gpu-engine-run.sh.
# Usage: scripts/gpu-attention-run.sh [lengths...]
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
.device/run-gpu.sh main org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
cat "$out/sdpa.txt" "$out/attention.txt"
