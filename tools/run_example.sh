#!/usr/bin/env bash
# The README's main job: build Kiln, verify the shipped BERT model on all its data sets, and
# show the start of its imported graph (symbolic shapes, constants elided).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
model=tests/models/bert_mini_ts
build/kiln verify "$model"
echo "--- kiln dump $model/model.onnx (first 25 lines)"
build/kiln dump "$model/model.onnx" >build/example-dump.txt
head -n 25 build/example-dump.txt
