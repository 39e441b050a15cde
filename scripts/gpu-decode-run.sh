#!/usr/bin/env bash
# One device call (at most about 6 minutes) for decode: the GPU-tagged tests of decode attention
# and decode graphs, decode attention speed (ours vs PyTorch SDPA, GB/s vs the copy bandwidth, at
# 32K and 128K), and decode ms/token of the 8B-shaped model at 4K, 32K and 128K context with CUDA
# graphs on and off, next to Hugging Face transformers (same run). Run from the repository root
# on the GPU machine after scripts/gpu-bundle.sh here (carry .device). Results under $OUT.
# SKIP_TESTS=1 skips the tests, SKIP_HF=1 the Hugging Face peer, MATVEC=1 adds the few-row
# product benchmark (MatvecBench and torch.matmul).
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  timeout 120 .device/run-gpu.sh tests --include-classname '.*(DecodeAttentionCudaTest|GeneratorCudaGraphTest|GeneratorCudaVsReferenceTest|GeneratorCudaWaitsTest)' \
    > "$out/gpu-tests.txt" 2>&1; echo "gpu tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -30
fi
if [[ -n ${MATVEC:-} ]]; then
  timeout 60 $run org.apbj.kernels.bench.MatvecBench > "$out/matvec.txt" 2>&1; echo "matvec rc=$?"
  timeout 60 python3 scripts/peer/torch_matvec.py > "$out/torch-matvec.txt" 2>&1; echo "torch matvec rc=$?"
  cat "$out/matvec.txt" "$out/torch-matvec.txt"
fi
timeout 40 $run org.apbj.kernels.bench.DecodeAttentionBench > "$out/decode-attention.txt" 2>&1; echo "decode attention rc=$?"
timeout 30 python3 scripts/peer/sdpa_attention.py 1024 > "$out/sdpa.txt" 2>&1; echo "sdpa rc=$?"
cat "$out/decode-attention.txt"; grep -h "decode" "$out/sdpa.txt"
model=/tmp/llama-8b
[[ -f $model/config.json ]] || timeout 150 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$model > "$out/synth.txt" 2>&1
timeout 100 $run org.apbj.model.bench.DecodeBench --model $model --contexts 4096,32768,131072 --decode 32 --graphs on,off \
  --device cuda > "$out/decode-8b.json" 2> "$out/decode-8b.err"; echo "decode bench rc=$?"
cat "$out/decode-8b.json"; tail -7 "$out/decode-8b.err"
if [[ -z ${SKIP_HF:-} ]]; then
  timeout 120 python3 scripts/peer/hf_prefill_decode.py --lengths 4k,32k,128k --decode 16 --warmup 1 --repeat 1 \
    > "$out/hf-decode.json" 2> "$out/hf-decode.err"; echo "hf rc=$?"
fi
python3 - "$out/decode-8b.json" "$out/hf-decode.json" <<'PY' | tee "$out/decode-vs-hf.txt"
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
try:
    hf = {r["tokens"]: r["decode_ms_per_token"] for r in json.load(open(sys.argv[2]))["results"]}
except Exception as e:
    hf = {}; print("no HF figures:", e)
for r in rows:
    n, ms, h = r["context"], r["decode_ms_per_token"], hf.get(r["context"])
    print(f"decode context={n} graphs={r.get('graphs')} replays={r.get('graph_replays')} apbj_ms_per_token={ms:.2f}"
          f" hf_ms_per_token={h if h is None else round(h, 2)}" + ("" if h is None else f" ratio_hf_over_apbj={h / ms:.2f}"))
PY
