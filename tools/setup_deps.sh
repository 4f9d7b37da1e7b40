#!/usr/bin/env bash
# Installs Kiln's build dependencies from Debian's packages. Idempotent: packages that are
# already present are left alone, so a second run costs a dpkg query and nothing else.
set -euo pipefail

packages=(cmake ninja-build g++ libprotobuf-dev protobuf-compiler libabsl-dev libonnx-dev
          libgtest-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "kiln setup: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if [[ ! -e /usr/local/cuda/include/nvrtc.h ]]; then
  echo "kiln setup: the CUDA Toolkit (NVRTC, cuBLASLt, cudart) must be installed under /usr/local/cuda" >&2
  exit 1
fi
echo "kiln setup: dependencies present"
