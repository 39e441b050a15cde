#!/usr/bin/env bash
# One device call for the ping-pong TMA GEMM (GemmTmaPingPong, opt-in with
# -Dapbj.gemm.kernel=tma-pingpong), about 2-3 minutes on an H200 (time limits add up to 240 s):
#   1. GPU test (~60-90 s): CudaGemmPingPongTest (both tile widths, every epilogue, ragged
#      shapes, 64 k-slices, more tiles than multiprocessors, against fp64; mbarrier waits
#      bounded so a lost hand-off fails instead of hanging);
#   2. cuBLAS (scripts/peer/cublas_gemm.py) and GemmBench in the same call on the k = 4096
#      shapes and the k = 14336 one: the current TMA kernel next to the ping-pong one with
#      192- and 128-column tiles (fp32 out, bf16 out, and the fused gate/up + SwiGLU on
#      16384x14336x4096).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device).
# SKIP_TESTS=1 skips step 1. Results under $OUT: gpu.txt, gemm2-tests.txt, cublas.txt, gemm2.txt.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  OUT="$out/junit-gemm2" timeout 110 .device/run-gpu.sh tests --include-classname '.*\.CudaGemmPingPongTest' \
    > "$out/gemm2-tests.txt" 2>&1
  echo "gemm2 tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gemm2-tests.txt"; grep -A4 "✘" "$out/gemm2-tests.txt" | head -30
fi
timeout 40 python3 scripts/peer/cublas_gemm.py > "$out/cublas.txt" 2>&1
echo "cublas rc=$?"
timeout ${BENCH_TIMEOUT:-90} .device/run-gpu.sh main -Dapbj.bench.gemm=tma,tma-pingpong,tma-pingpong-128 \
  -Dapbj.bench.shapes=16384x4096x4096,16384x6144x4096,16384x14336x4096,16384x4096x14336 \
  org.apbj.kernels.bench.GemmBench > "$out/gemm2.txt" 2>&1
echo "GemmBench rc=$?"
cat "$out/cublas.txt" "$out/gemm2.txt"
