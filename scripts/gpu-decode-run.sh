#!/usr/bin/env bash
# One device call (about 6 minutes) for decode: the GPU-tagged kernel and generator tests, the
# few-row product (GB/s vs the copy bandwidth and vs torch.matmul on the same shapes, same run),
# decode attention (ours vs SDPA at 128K), and decode ms/token of the 8B-shaped model at 4K, 32K
# and 128K context next to Hugging Face transformers (same run). Run from the repository root on
# the GPU machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  timeout 150 .device/run-gpu.sh tests --include-classname '.*(CudaKernelsTest|GeneratorCudaVsReferenceTest|TinyNiahGoldenCudaTest)' \
    > "$out/gpu-tests.txt" 2>&1; echo "gpu tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -30
fi
timeout 60 $run org.apbj.kernels.bench.MatvecBench > "$out/matvec.txt" 2>&1; echo "matvec rc=$?"
timeout 60 python3 scripts/peer/torch_matvec.py > "$out/torch-matvec.txt" 2>&1; echo "torch matvec rc=$?"
cat "$out/matvec.txt" "$out/torch-matvec.txt"
timeout 40 python3 scripts/peer/sdpa_attention.py 4096 > "$out/sdpa.txt" 2>&1
timeout 60 $run org.apbj.kernels.bench.AttentionBench 4096 > "$out/attention.txt" 2>&1; echo "attention rc=$?"
grep -h "decode\|device" "$out/sdpa.txt" "$out/attention.txt"
model=/tmp/llama-8b
[[ -f $model/config.json ]] || timeout 200 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$model > "$out/synth.txt" 2>&1
timeout 120 $run org.apbj.model.bench.DecodeBench --model $model --contexts 4096,32768,131072 --decode 32 --device cuda \
  > "$out/decode-8b.json" 2> "$out/decode-8b.err"; echo "decode bench rc=$?"
cat "$out/decode-8b.json"; tail -3 "$out/decode-8b.err"
timeout 150 python3 scripts/peer/hf_prefill_decode.py --lengths 4k,32k,128k --decode 16 --warmup 1 --repeat 1 \
  > "$out/hf-decode.json" 2> "$out/hf-decode.err"; echo "hf rc=$?"
python3 - "$out/decode-8b.json" "$out/hf-decode.json" <<'PY' | tee "$out/decode-vs-hf.txt"
import json, sys
ours = {r["context"]: r["decode_ms_per_token"] for r in json.load(open(sys.argv[1]))["results"]}
try:
    hf = {r["tokens"]: r["decode_ms_per_token"] for r in json.load(open(sys.argv[2]))["results"]}
except Exception as e:
    hf = {}; print("no HF figures:", e)
for n in sorted(ours):
    h = hf.get(n)
    print(f"decode context={n} apbj_ms_per_token={ours[n]:.2f} hf_ms_per_token={h if h is None else round(h, 2)}"
          + ("" if h is None else f" ratio_hf_over_apbj={h / ours[n]:.2f}"))
PY
