#!/usr/bin/env bash
# One device call for the fused dense prefill (issue #14 part 3), about 2 minutes on an H200:
#   1. GPU tests (~40-60 s): FusedPrefillCudaTest (both Hopper attention kernels with RoPE on Q and
#      a bf16 output, and the RMSNorm that reads x once, against fp64 references) and
#      GeneratorCudaVsReferenceTest (the tiny generator against the fp64 reference model, fused
#      prefill off and on);
#   2. the 8B-shaped 32K dense prefill (PrefillBench, ~50 s with the model on disk): first as the
#      default (fusion off), then with -Dapbj.prefill.fused on in the same load (--fusion-too):
#      both wall times, both gemm/attention/other breakdowns, and how far the fused run's logits
#      are from the unfused ones (expected: other ~0.094 s -> ~0.04-0.05 s, logits within 1e-2 of
#      their range, the same greedy token).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device).
# MODEL=dir reuses a synthetic 8B model (made here if absent); SKIP_TESTS=1 skips step 1.
# Results under $OUT: gpu.txt, fuse-tests.txt, prefill-fused.json.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  OUT="$out/junit-fuse" timeout 200 .device/run-gpu.sh tests \
    --include-classname '.*\.(FusedPrefillCudaTest|GeneratorCudaVsReferenceTest)' > "$out/fuse-tests.txt" 2>&1
  echo "fuse tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/fuse-tests.txt"; grep -A3 "✘" "$out/fuse-tests.txt" | head -30
fi
model=${MODEL:-/tmp/llama-8b}
if [[ ! -f $model/config.json ]]; then
  timeout 200 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out="$model" > "$out/synth.txt" 2>&1
  echo "synth rc=$?"
fi
timeout 200 $run org.apbj.model.bench.PrefillBench --model "$model" --tokens 32768 --decode 16 --device cuda --fusion-too \
  > "$out/prefill-fused.json" 2> "$out/prefill-fused.err"
echo "prefill rc=$?"; cat "$out/prefill-fused.json"; tail -5 "$out/prefill-fused.err"
