#!/usr/bin/env bash
# One device call: attention correctness on CUDA, attention speed vs PyTorch SDPA (same run),
# and the 8B-shaped dense prefill. Run from the repository root on the GPU machine after
# scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
.device/run-gpu.sh main org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
.device/run-gpu.sh tests --select-class org.apbj.kernels.lib.CudaKernelsTest > "$out/cuda-kernels-test.txt" 2>&1
tail -5 "$out/cuda-kernels-test.txt"
cat "$out/sdpa.txt" "$out/attention.txt"
