#!/usr/bin/env bash
# Every GPU check of issue 4, in one command, for the GPU machine (see ../shared/GPU.md):
#   tools/gpu_check.sh BIN_DIR SHARED_DIR OUT_DIR
# BIN_DIR holds kiln and kiln_tests built on the development machine; SHARED_DIR holds
# models/, models-kv/ and onnx-node-tests.tar.xz (or onnx-node-tests/). Logs go to OUT_DIR.
set -uo pipefail
bin=$1 shared=$2 out=$3
mkdir -p "$out"
export KILN_SHARED=$shared KILN_CACHE_DIR=/tmp/kiln-kernel-cache
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"

step() { echo "== $* ($(date +%T))"; }
step "GPU unit tests"
"$bin/kiln_tests" --gtest_filter='*Gpu*:*Cuda*:*Device*:*Gemm*:*Launcher*' >"$out/gpu-tests.log" 2>&1
echo "exit $?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|tests ran" "$out/gpu-tests.log" | head -20

models=$(ls -d "$shared"/models/*/ "$shared"/models-kv/*/ tests/models/*/)
for p in fp32 fp16 bf16; do
  step "kiln verify --device cuda --precision $p"
  "$bin/kiln" verify --device cuda --precision "$p" $models 2>&1 | tee "$out/verify-$p.log" | tail -16
done

step "compile time, BERT shared model (cold, then warm kernel cache)"
rm -rf /tmp/kiln-kernel-cache
for i in 1 2; do
  /usr/bin/time -f "wall %e s" "$bin/kiln" compile "$shared/models/bert_tiny_ts/model.onnx" \
    -o "$out/bert.kiln" 2>&1 | grep -v "^kiln:"
done

step "bench, BERT shared model at batch 8 seq 64"
"$bin/kiln" bench "$out/bert.kiln" --shape input_ids=8x64 --shape attention_mask=8x64 \
--iters 50 2>&1 | tail -30
[ -x "$bin/kiln_example" ] && { step "installed-package example"; "$bin/kiln_example" tests/models/bert_mini_ts/model.onnx "$out/example.kiln" input_ids=2x8 attention_mask=2x8; }

step "ONNX node tests on the GPU"
nodes=$shared/onnx-node-tests
if [ ! -d "$nodes" ]; then mkdir -p /tmp/nt && tar xJf "$shared/onnx-node-tests.tar.xz" -C /tmp/nt; nodes=/tmp/nt/onnx-node-tests; fi
ls -d "$nodes"/test_* | xargs -P "$(nproc)" -n 40 "$bin/kiln" verify --device cuda \
  >"$out/node-tests.log" 2>&1
grep -c "^PASS" "$out/node-tests.log" | sed 's/^/passed: /'
grep -c "^FAIL" "$out/node-tests.log" | sed 's/^/failed: /'
grep -c "^SKIP" "$out/node-tests.log" | sed 's/^/skipped: /'
grep "^FAIL" "$out/node-tests.log" | head -40
step done
