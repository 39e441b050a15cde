#!/usr/bin/env bash
# One device call: attention speed next to PyTorch SDPA (same call). Run from the repository root
# on the GPU machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
# Tests, the whole prefill and the cross-check set: scripts/gpu-engine-run.sh.
# Usage: scripts/gpu-attention-run.sh [lengths...]
#   gpu-tests.txt  CudaKernelsTest: every attention kernel (fp32, tensor-core, and on sm_90a the wgmma
#                  one) against the fp64 reference for each mask and shape class (and the GEMMs)
#   sdpa.txt       PyTorch SDPA flash at the same shapes
#   attention.txt  AttentionBench: kernel=hopper (wgmma) / tensor-core / fp32 lines, ms and TFLOP/s
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
timeout 300 .device/run-gpu.sh tests --include-classname '.*\.CudaKernelsTest' > "$out/gpu-tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -40
python3 scripts/peer/sdpa_attention.py "$@" > "$out/sdpa.txt" 2>&1
.device/run-gpu.sh main org.apbj.kernels.bench.AttentionBench "$@" > "$out/attention.txt" 2>&1
cat "$out/sdpa.txt" "$out/attention.txt"
