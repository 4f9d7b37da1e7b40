#!/usr/bin/env bash
# Installs Kiln from BUILD_DIR into a scratch prefix, builds tools/example against the installed
# CMake package, and runs it on the shipped BERT model. Without a GPU the example must get as far
# as the session and report that no device is usable. Usage: tools/test_package.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
scratch=$build/package-test
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$root/tools/example" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
set +e
out=$("$scratch/build/kiln_example" "$root/tests/models/bert_mini_ts/model.onnx" \
  "$scratch/bert.kiln" input_ids=2x8 attention_mask=2x8 token_type_ids=2x8 2>&1)
rc=$?
set -e
echo "$out"
grep -q "^plan .*kernels" <<<"$out"
if [ $rc -ne 0 ]; then grep -q "no usable CUDA device" <<<"$out"; fi
echo "package test passed"
