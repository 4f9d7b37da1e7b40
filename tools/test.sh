#!/usr/bin/env bash
# Sets up dependencies, builds Kiln and runs every test: the unit and golden tests (ctest),
# then `kiln verify` end to end over shipped models, shared models and ONNX node tests.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
tests/verify_all.sh
