#!/usr/bin/env bash
# One device call: the GEMM kernels' GPU tests, then their speed next to cuBLAS (same call).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh (carry .device).
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
[[ ${SKIP_TESTS:-} ]] || .device/run-gpu.sh tests --include-classname '.*CudaKernelsTest' > "$out/gemm-tests.txt" 2>&1
[[ ${SKIP_TESTS:-} ]] || tail -25 "$out/gemm-tests.txt"
python3 scripts/peer/cublas_gemm.py > "$out/cublas.txt" 2>&1
.device/run-gpu.sh main org.apbj.kernels.bench.GemmBench > "$out/gemm.txt" 2>&1
cat "$out/cublas.txt" "$out/gemm.txt"
