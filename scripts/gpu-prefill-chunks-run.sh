#!/usr/bin/env bash
# The 8B-shaped dense prefill at 32K and 128K with several prefill chunk sizes, each in the same
# model load (PrefillBench --chunks-too), next to HF transformers + SDPA in the same call. Run from
# the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry .device). ~7 min.
# Results under $OUT.
set -uo pipefail
o=${OUT:-gpu-out}; mkdir -p "$o"
r=".device/run-gpu.sh main"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$o/gpu.txt" 2>&1
m=/tmp/llama-8b
timeout 130 $r org.apbj.examples.Main synth-model --shape=llama-3.1-8b --out=$m > "$o/synth.txt" 2>&1; echo "synth rc=$?"
timeout 100 $r org.apbj.model.bench.PrefillBench --model $m --tokens 32768 --decode 16 --device cuda \
  --chunks-too ${CHUNKS_32K:-8192,16384,32768} > "$o/prefill-32768.json" 2> "$o/prefill-32768.err"; echo "prefill 32K rc=$?"
timeout 210 $r org.apbj.model.bench.PrefillBench --model $m --tokens 131072 --decode 16 --device cuda \
  --chunks-too ${CHUNKS_128K:-16384,32768} > "$o/prefill-131072.json" 2> "$o/prefill-131072.err"; echo "prefill 128K rc=$?"
for t in 32768 131072; do
  python3 - "$o/prefill-$t.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [dict(prefill_chunk=d["prefill_chunk"], prefill_seconds=d["prefill_seconds"], prefill_kernel_seconds=d.get("prefill_kernel_seconds"),
             attention_tflops_per_second=d.get("attention_tflops_per_second"), gemm_tflops_per_second=d.get("gemm_tflops_per_second"))]
rows += d.get("other_chunks", [])
for r in rows:
    print(d["tokens"], {k: r.get(k) for k in ("prefill_chunk", "prefill_seconds", "prefill_kernel_seconds", "attention_tflops_per_second",
                                             "gemm_tflops_per_second", "logits_max_abs_diff_over_range", "same_greedy_token")})
print(d["tokens"], "decode s/token", d.get("decode_seconds_per_token"), "peak bytes", d.get("device_peak_bytes"))
PY
done
timeout 150 python3 scripts/peer/hf_prefill_decode.py --lengths 32k,128k --decode 16 --warmup 1 --repeat ${HF_REPEAT:-2} \
  > "$o/hf.json" 2> "$o/hf.err"; echo "hf rc=$?"; grep -E '"(tokens|prefill_seconds|decode_ms_per_token)"' "$o/hf.json"
