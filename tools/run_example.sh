#!/usr/bin/env bash
# The README's main job: build Kiln, then on the BERT model the repo ships (tests/models):
# verify it on the reference backend as imported and after the -O3 optimizer (three data sets
# at different batch and sequence lengths, one graph), and show the optimized graph's op
# counts and memory plan.
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
