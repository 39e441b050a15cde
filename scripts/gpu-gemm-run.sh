#!/usr/bin/env bash
# One device call: the bulk tensor copy and GEMM kernels' GPU tests, then their speed next to
# cuBLAS (same call). Run from the repository root on the GPU machine after scripts/gpu-bundle.sh
# (carry .device). Every step has a time limit, so a hung kernel cannot eat the call.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ ! ${SKIP_TESTS:-} ]]; then
  timeout 300 .device/run-gpu.sh tests --include-classname '.*(CudaBulkCopyTest|CudaKernelsTest|MatvecCudaTest)' > "$out/gemm-tests.txt" 2>&1
  grep -E "✘|tests (successful|failed)|seed" "$out/gemm-tests.txt" | head -40
fi
python3 scripts/peer/cublas_gemm.py > "$out/cublas.txt" 2>&1
timeout ${BENCH_TIMEOUT:-240} .device/run-gpu.sh main org.apbj.kernels.bench.GemmBench > "$out/gemm.txt" 2>&1
echo "GemmBench exit $?"
cat "$out/cublas.txt" "$out/gemm.txt"
