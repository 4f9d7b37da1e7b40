#!/usr/bin/env bash
# Runs `kiln verify` over the models Kiln ships (tests/models), and, when the shared folder is
# beside the checkout, over the shared transformer models and ONNX's node tests. Full logs go
# to build/verify-*.log; FAIL lines and each summary are printed. Ends with one total line.
set -uo pipefail
cd "$(dirname "$0")/.."
kiln=build/kiln
shared=${KILN_SHARED:-../shared}
total_pass=0 total_fail=0 total_skip=0

run() {  # run LABEL DIR...
  local label=$1; shift
  local log="build/verify-$label.log"
  "$kiln" verify "$@" >"$log" 2>&1
  grep -E '^FAIL ' "$log" || true
  local summary
  summary=$(tail -n 1 "$log")
  echo "verify $label: $summary"
  read -r p _ f _ s _ <<<"$(echo "$summary" | tr -d ',')"
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

run shipped-models tests/models/*
if [[ -d "$shared/models" ]]; then
  run shared-models "$shared"/models/* "$shared"/models-kv/*
  run shared-models-O3 -O3 "$shared"/models/* "$shared"/models-kv/* tests/models/*
  run node-tests "$shared"/onnx-node-tests/test_*
  echo "node-test SKIP reasons (count, reason):"
  grep -E '^SKIP ' build/verify-node-tests.log |
    sed -E 's/^SKIP [^:]+: //; s#^[^ ]*model\.onnx: ##; s/^node [^(]*\(([A-Za-z]+)\): /\1: /' |
    sed -E 's/opset [0-9]+ of the default.*/opset outside 13..28/; s/(ONNX dtype) [0-9]+/\1 (float8, int4, ...)/' |
    sed -E "s/graph input '[^']*'/graph input/" | sort | uniq -c | sort -rn | head -30
else
  echo "verify: $shared not found; shared models and node tests not run"
fi
echo "total: $total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail -eq 0 ]]
