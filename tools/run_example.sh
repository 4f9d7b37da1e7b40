#!/usr/bin/env bash
# The README's main job: build Kiln, then on the BERT model the repo ships (tests/models):
# verify it on the reference backend as imported and after the -O3 optimizer (three data sets
# at different batch and sequence lengths, one graph), and show the optimized graph's op
# counts and memory plan, then compile it into a GPU plan (and run it when a GPU is present).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
model=tests/models/bert_mini_ts
echo "--- kiln verify (as imported, then -O3)"
build/kiln verify "$model"
build/kiln verify -O3 "$model"
echo "--- kiln dump -O3 --memory-plan (summary lines)"
build/kiln dump "$model/model.onnx" -O3 --memory-plan --max-batch 8 --max-seq 64 \
  >build/example-dump.txt 2>build/example-timings.txt
grep -E '^// (op counts|peak arena)' build/example-dump.txt
echo "(full optimized graph: build/example-dump.txt; pass timings: build/example-timings.txt)"
echo "--- kiln compile --precision fp16 (GPU plan; NVRTC needs no GPU)"
build/kiln compile "$model/model.onnx" -o build/example.kiln --precision fp16 --max-batch 8 \
  --max-seq 64 --dump-cuda build/example-cuda 2>/dev/null
if out=$(build/kiln verify --device cuda --precision fp16 "$model" 2>&1); then
  echo "$out"
  build/kiln bench build/example.kiln --shape input_ids=8x64 --shape attention_mask=8x64 | head -3
elif grep -q "no usable CUDA device" <<<"$out"; then
  echo "(no usable GPU here: run the plan with kiln run|verify|bench --device cuda on one)"
else
  echo "$out"
  exit 1
fi
