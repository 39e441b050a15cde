#!/usr/bin/env bash
# One device call (about 8–9 minutes) for the headline figures of every area, each next to its
# peer in the same call: GEMM vs cuBLAS, the GPU tests of the kernels and of decode graphs, the
# 8B-shaped dense prefill and decode at 32K vs HF transformers + SDPA, the cross-check set, decode
# ms/token at 32K and 128K with CUDA graphs on and off, and APB/ring with 4 ranks on the one GPU
# at 128K (8 of the 32 layers). Run from the repository root on the GPU machine after
# scripts/gpu-bundle.sh here (carry .device; cross-check files in .device/crosscheck). Results
# under $OUT. The area scripts (gpu-gemm-run, gpu-engine-run, gpu-decode-run, gpu-parallel-run,
# gpu-attention-run) do each area in full.
set -uo pipefail
o=${OUT:-gpu-out}; mkdir -p "$o"
r=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$o/gpu.txt" 2>&1
python3 scripts/peer/cublas_gemm.py > "$o/cublas.txt" 2>&1
timeout 90 $r org.apbj.kernels.bench.GemmBench > "$o/gemm.txt" 2>&1; cat "$o/cublas.txt" "$o/gemm.txt"
timeout 100 .device/run-gpu.sh tests --include-classname '.*(CudaKernelsTest|HopperAttentionCudaTest|CudaDeviceTest|GeneratorCudaGraphTest|TinyNiahGoldenCudaTest)' \
  > "$o/gpu-tests.txt" 2>&1; grep -E "tests (successful|failed)" "$o/gpu-tests.txt"; grep -A3 "✘" "$o/gpu-tests.txt" | head -20
m=/tmp/llama-8b
timeout 120 $r org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$m > "$o/synth.txt" 2>&1
timeout 80 $r org.apbj.model.bench.PrefillBench --model $m --tokens 32768 --decode 16 --device cuda > "$o/prefill.json" 2>&1
grep -E '"(prefill_seconds|gemm|attention|other|decode_seconds_per_token|gemm_tflops_per_second|attention_tflops_per_second)"' "$o/prefill.json"
timeout 100 python3 scripts/peer/hf_prefill_decode.py --lengths 32k --decode 16 > "$o/hf.json" 2> "$o/hf.err"
grep -E '"(prefill_seconds|decode_ms_per_token)"' "$o/hf.json"
gunzip -c .device/crosscheck/tiny-niah-72.samples.jsonl.gz > /tmp/cc.jsonl
timeout 130 $r org.apbj.examples.Main eval --model=models/tiny-niah --dataset=/tmp/cc.jsonl --methods=dense,apb,star --ranks=4 \
  --device=cuda --in-process --out="$o/crosscheck.json" > "$o/crosscheck.txt" 2>&1
python3 scripts/crosscheck.py "$o/crosscheck.samples.jsonl" .device/crosscheck/tiny-niah-72.reference.jsonl | tee "$o/crosscheck-compare.txt"
timeout 70 $r org.apbj.model.bench.DecodeBench --model $m --contexts 32768,131072 --decode 16 --graphs on,off --device cuda \
  > "$o/decode.json" 2> "$o/decode.err"; grep -E '"(context|graphs|decode_ms_per_token)"' "$o/decode.json"
timeout 100 $r org.apbj.examples.Main bench --synth=llama-3.1-8b --layers=8 --ranks=4 --device=cuda --in-process --warmup=1 \
  --repeat=1 --methods=apb,ring --lengths=128k --allow-long-context --out="$o/parallel.json" > "$o/parallel.txt" 2>&1
grep -E "^\s*(apb|ring)|retaining|rror" "$o/parallel.txt" | head -12
