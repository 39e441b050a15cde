#!/usr/bin/env bash
# One device call for the compiler's GPU checks (issue 12 parts: unrolled fp32 kernels, 4/8-byte
# cp.async, device capabilities). Run from the repository root on the GPU machine after
# scripts/gpu-bundle.sh here (carry .device). Results under $OUT:
#   gpu-tests.txt  CudaCorpusTest (every corpus kernel, smallCopies included: PTX vs the Java run),
#                  CudaKernelsTest (fp32 and tensor-core GEMM and attention vs fp64 references,
#                  and their throughput), DeviceCapabilitiesTest (the driver's compute capability)
#   attention.txt  AttentionBench at 4K and 16K: the fp32 attention's time next to the tensor-core one
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1
timeout 360 .device/run-gpu.sh tests \
  --include-classname '.*\.(CudaCorpusTest|CudaKernelsTest|MatvecCudaTest|HopperAttentionCudaTest|DeviceCapabilitiesTest)' > "$out/gpu-tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -30
grep -E "GFLOP|TFLOP|compute|sm_" "$out/gpu-tests.txt" | head -20
timeout 200 .device/run-gpu.sh main org.apbj.kernels.bench.AttentionBench 4096 16384 > "$out/attention.txt" 2>&1
echo "attention bench rc=$?"; cat "$out/attention.txt"
