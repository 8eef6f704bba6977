#!/usr/bin/env bash
# Installs the llama.cpp reference used by benchmarks (not by the tests or
# CI): llama-cpp-python, pinned, compiled from source on this machine so it
# uses the same CPU features as our release build.
set -euo pipefail
PIP=${ARENA_PIP:-python3 -m pip}
$PIP install --no-binary llama-cpp-python "llama-cpp-python==0.3.36"
python3 -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
