#!/usr/bin/env bash
# One device call for the whole engine: GPU-tagged tests, the 8B-shaped dense prefill and decode
# next to Hugging Face transformers + SDPA (same call), bench with the peer ratio, and the
# cross-check set. Run from the repository root on the GPU machine after scripts/gpu-bundle.sh
# here (carry .device; copy the cross-check files to .device/crosscheck). Results under $OUT.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
run=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt" 2>&1
[[ ${SKIP_TESTS:-} ]] || timeout 240 .device/run-gpu.sh tests > "$out/gpu-tests.txt" 2>&1; echo "gpu tests rc=$?"
grep -E "tests (successful|failed|skipped|aborted)" "$out/gpu-tests.txt"; grep -A3 "✘" "$out/gpu-tests.txt" | head -30
model=/tmp/llama-8b
timeout 200 $run org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$model > "$out/synth.txt" 2>&1
timeout 120 $run org.apbj.model.bench.PrefillBench --model $model --tokens 32768 --decode 16 --device cuda > "$out/prefill-8b-32k.json" 2>&1
tail -40 "$out/prefill-8b-32k.json"
timeout 200 python3 scripts/peer/hf_prefill_decode.py --lengths 32k --decode 16 > "$out/hf.json" 2> "$out/hf.err"; echo "hf rc=$?"
cat "$out/hf.json"
timeout 200 $run org.apbj.examples.Main bench --model=$model --methods=dense --lengths=32k --ranks=1 --warmup=1 --repeat=3 \
  --decode=16 --device=cuda --in-process --peer="$out/hf.json" --out="$out/bench.json" > "$out/bench.txt" 2>&1; echo "bench rc=$?"
tail -25 "$out/bench.txt"
if [[ -d .device/crosscheck ]]; then
  gunzip -c .device/crosscheck/tiny-niah-72.samples.jsonl.gz > /tmp/cc.jsonl
  timeout 300 $run org.apbj.examples.Main eval --model=models/tiny-niah --dataset=/tmp/cc.jsonl \
    --methods=dense,apb,star --ranks=4 --device=cuda --in-process --out="$out/crosscheck.json" > "$out/crosscheck.txt" 2>&1
  echo "crosscheck rc=$?"; tail -3 "$out/crosscheck.txt"
  python3 scripts/crosscheck.py "$out/crosscheck.samples.jsonl" .device/crosscheck/tiny-niah-72.reference.jsonl | tee "$out/crosscheck-compare.txt"
fi
