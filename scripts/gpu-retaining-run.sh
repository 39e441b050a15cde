#!/usr/bin/env bash
# One device call (about 4–5 minutes): the retaining heads' cost at the 128K / 4-rank APB shape.
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device).
# Results under $OUT:
#   gpu-tests.txt  the retaining-head and top-k checks on CUDA (fp32 path, bf16 wgmma path against
#                  the fp64 reference of the same rounded inputs, the selection it leads to against
#                  the exact one up to rounding, radix top-k on long tied sequences), the tiny-niah
#                  golden scores through the model, and the strategies on CUDA
#   retaining.txt  RetainingBench: one layer of the rank that selects with the longest passing block
#                  (rows 40960 = l_a 8192 + B 32768, P 8192, l_p 4096): ms per part (scores, top-k,
#                  gather, attention, projections, FFN), the retaining share of the layer, the fp32
#                  path's time, how many selected rows the two paths share, top-k vs a host sort
#   parallel.txt   the whole APB prefill, 4 ranks (threads) on the one GPU, 128K, 8 of 32 layers,
#                  with its retaining share (the figure the 25.3% came from)
set -uo pipefail
o=${OUT:-gpu-out}; mkdir -p "$o"
r=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$o/gpu.txt" 2>&1
timeout 150 .device/run-gpu.sh tests --include-classname '.*(CudaRetainingTest|TinyNiahGoldenCudaTest|CudaStrategiesTest)' \
  > "$o/gpu-tests.txt" 2>&1
echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$o/gpu-tests.txt"; grep -A3 "✘" "$o/gpu-tests.txt" | head -40
timeout 120 $r org.apbj.kernels.bench.RetainingBench 131072 4 > "$o/retaining.txt" 2>&1
echo "retaining bench rc=$?"; cat "$o/retaining.txt" | tail -15
timeout 150 $r org.apbj.examples.Main bench --synth=llama-3.1-8b --layers=8 --ranks=4 --device=cuda --in-process --warmup=1 \
  --repeat=1 --methods=apb --lengths=128k --allow-long-context --out="$o/parallel.json" > "$o/parallel.txt" 2>&1
echo "apb bench rc=$?"; grep -E "^\s*apb|retaining|rror" "$o/parallel.txt" | head -12
