#!/usr/bin/env bash
# Installs what the test suite needs beyond the main job's set-up,
# idempotently: the GUI test's virtual display and software Vulkan driver,
# and llama-cpp-python's OpenAI-compatible server (the HTTP backend's tests
# run agents and judges on it; it is compiled from source, once, with g++).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# forge runs the contract's fuzz and invariant tests (contracts/tests/forge.rs).
bash scripts/install-chain-tools.sh --with-forge
# The GUI's window and its test: X libraries, a virtual display (Xvfb) and
# Mesa's software Vulkan driver (lavapipe).
bash scripts/apt-install.sh libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 \
  libxkbcommon-x11-0 libvulkan1 mesa-vulkan-drivers xvfb xauth
python3 -c "import llama_cpp" 2>/dev/null || command -v c++ >/dev/null 2>&1 || bash scripts/apt-install.sh g++
bash scripts/install-llama-cpp.sh
