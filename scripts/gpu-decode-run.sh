#!/usr/bin/env bash
# One device call (at most about 9.5 minutes; each step has its own timeout) for decode:
#   1. the decode-related GPU tests: the kernel library on CUDA (CudaKernelsTest: the 16-byte-load
#      matvecs at the 8B decode shapes, the fused q/k/v + RoPE + cache-write kernel against fp64
#      and bit for bit against the unfused launches), the compiler corpus on CUDA (CudaCorpusTest:
#      WideLoad's 16-byte loads), decode attention, decode graphs (bit-identical to direct steps),
#      the generator against the reference forward and the tiny-niah golden vectors;
#   2. MatvecBench (each 8B decode matvec's GB/s and fraction of the same run's copy bandwidth,
#      and the per-token sum) next to torch.matmul on the same shapes;
#   3. DecodeAttentionBench at 4K, 32K and 128K (GB/s of K+V, fraction of copy bandwidth) next to
#      PyTorch SDPA;
#   4. DecodeBench: ms/token of the 8B-shaped model at 4K, 32K and 128K context, CUDA graphs on
#      and off (HF=1 adds Hugging Face transformers in the same call; it needs ~2 more minutes).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry
# .device). Results under $OUT (eight files): gpu.txt, gpu-tests.txt, matvec.txt,
# torch-matvec.txt, decode-attention.txt, sdpa.txt, decode-8b.json, decode-8b.err.
# SKIP_TESTS=1 skips the tests.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv > "$out/gpu.txt" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  # JUnit's report folder stays on the machine (only eight files come back)
  OUT=/tmp/decode-junit timeout 170 .device/run-gpu.sh tests --include-classname \
    '.*(CudaKernelsTest|MatvecCudaTest|CudaCorpusTest|DecodeAttentionCudaTest|GeneratorCudaGraphTest|GeneratorCudaVsReferenceTest|GeneratorCudaWaitsTest|TinyNiahGoldenCudaTest)' \
    > "$out/gpu-tests.txt" 2>&1; echo "gpu tests rc=$?"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -30
fi
timeout 60 $run org.apbj.kernels.bench.MatvecBench > "$out/matvec.txt" 2>&1; echo "matvec rc=$?"
timeout 45 python3 scripts/peer/torch_matvec.py > "$out/torch-matvec.txt" 2>&1; echo "torch matvec rc=$?"
grep -v '^{' "$out/matvec.txt"; grep -h "shape=\|copy" "$out/torch-matvec.txt"
timeout 60 $run org.apbj.kernels.bench.DecodeAttentionBench > "$out/decode-attention.txt" 2>&1; echo "decode attention rc=$?"
timeout 30 python3 scripts/peer/sdpa_attention.py 1024 > "$out/sdpa.txt" 2>&1; echo "sdpa rc=$?"
grep -v '^{' "$out/decode-attention.txt"; grep -h "decode" "$out/sdpa.txt"
model=/tmp/llama-8b
[[ -f $model/config.json ]] || timeout 150 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$model > /tmp/synth.txt 2>&1 \
  || { echo "synth-model failed:"; tail -5 /tmp/synth.txt; }
timeout 100 $run org.apbj.model.bench.DecodeBench --model $model --contexts 4096,32768,131072 --decode 32 --graphs on,off \
  --device cuda > "$out/decode-8b.json" 2> "$out/decode-8b.err"; echo "decode bench rc=$?"
cat "$out/decode-8b.json"; tail -7 "$out/decode-8b.err"
hf=/tmp/hf-decode.json
if [[ -n ${HF:-} ]]; then
  timeout 120 python3 scripts/peer/hf_prefill_decode.py --lengths 4k,32k,128k --decode 16 --warmup 1 --repeat 1 \
    > $hf 2>> "$out/decode-8b.err"; echo "hf rc=$?"
fi
python3 - "$out/decode-8b.json" "$hf" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
try:
    hf = {r["tokens"]: r["decode_ms_per_token"] for r in json.load(open(sys.argv[2]))["results"]}
except Exception as e:
    hf = {}; print("no HF figures (HF=1 adds them):", e)
for r in rows:
    n, ms, h = r["context"], r["decode_ms_per_token"], hf.get(r["context"])
    print(f"decode context={n} graphs={r.get('graphs')} replays={r.get('graph_replays')} apbj_ms_per_token={ms:.2f}"
          f" hf_ms_per_token={h if h is None else round(h, 2)}" + ("" if h is None else f" ratio_hf_over_apbj={h / ms:.2f}"))
PY
