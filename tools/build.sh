#!/usr/bin/env bash
# Configures and builds Kiln into build/ (Release by default; BUILD_TYPE overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build build -j"$(nproc)"
