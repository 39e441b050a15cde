#!/usr/bin/env bash
# One device call (at most 4 minutes; each step has its own timeout) for the few-row products
# (decode matvecs), old and new forms side by side:
#   1. GPU tests (MatvecCudaTest): the unsplit Matvec kernels as before, the split-k one-row
#      kernels (every split 1-8, ragged shapes, q/k/v + RoPE at the 8B shape) and the tensor-core
#      MatvecTc for every row count 1-8 and the 8B decode shapes, against fp64;
#   2. MatvecBench with the forms old (unsplit), split (-Dapbj.matvec.split=auto), tc (split +
#      MatvecTc for 2-8 rows) and tc-all (MatvecTc for one row too): of_copy per shape and form
#      against the copy bandwidth measured in the same run, per-step sums at 1 and 8 rows;
#   3. torch.matmul (cuBLAS) on the same shapes (scripts/peer/torch_matvec.py).
# Run from the repository root on the GPU machine after scripts/gpu-bundle.sh here (carry
# .device). Everything goes to one log, $OUT/matvec.log. FORMS="old split" times fewer forms;
# SKIP_TESTS=1 skips step 1; NO_PEER=1 skips step 3; ENGINE=1 adds (about a minute more) the
# generator against the reference forward on CUDA with both new forms on (split auto, tensor
# cores for every row count), so the decode step's q/k/v, o and down run split.
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
log="$out/matvec.log"
: > "$log"
section() { echo "=== $* ===" | tee -a "$log"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv >> "$log" 2>&1
if [[ -z ${SKIP_TESTS:-} ]]; then
  section "gpu tests: MatvecCudaTest"
  # JUnit's report folder stays on the machine (one log comes back)
  OUT=/tmp/matvec-junit timeout 120 .device/run-gpu.sh tests --include-classname '.*\.MatvecCudaTest' \
    > /tmp/matvec-tests.txt 2>&1
  echo "gpu tests rc=$?" | tee -a "$log"
  grep -E "tests (successful|failed|skipped|aborted)" /tmp/matvec-tests.txt | tee -a "$log"
  grep -A4 "✘" /tmp/matvec-tests.txt | head -40 | tee -a "$log"
  grep -E "seed|worst error" /tmp/matvec-tests.txt >> "$log"
fi
section "MatvecBench forms: ${FORMS:-old split tc tc-all}"
# shellcheck disable=SC2086
timeout 75 .device/run-gpu.sh main org.apbj.kernels.bench.MatvecBench ${FORMS:-old split tc tc-all} > /tmp/matvec-bench.txt 2>&1
echo "matvec bench rc=$?" | tee -a "$log"
grep -v '^{' /tmp/matvec-bench.txt | tee -a "$log"
grep '^{' /tmp/matvec-bench.txt >> "$log"
if [[ -z ${NO_PEER:-} ]]; then
  section "torch.matmul peer"
  timeout 30 python3 scripts/peer/torch_matvec.py > /tmp/torch-matvec.txt 2>&1
  echo "torch matvec rc=$?" | tee -a "$log"
  grep -h "shape=\|copy\|device" /tmp/torch-matvec.txt | tee -a "$log"
fi
if [[ -n ${ENGINE:-} ]]; then
  section "generator vs reference, -Dapbj.matvec.split=auto -Dapbj.matvec.tc=all"
  JAVA_TOOL_OPTIONS="-Dapbj.matvec.split=auto -Dapbj.matvec.tc=all" OUT=/tmp/matvec-engine-junit timeout 75 \
    .device/run-gpu.sh tests --include-classname '.*\.GeneratorCudaVsReferenceTest' > /tmp/matvec-engine.txt 2>&1
  echo "engine tests rc=$?" | tee -a "$log"
  grep -E "tests (successful|failed|skipped|aborted)" /tmp/matvec-engine.txt | tee -a "$log"
  grep -A4 "✘" /tmp/matvec-engine.txt | head -30 | tee -a "$log"
fi
