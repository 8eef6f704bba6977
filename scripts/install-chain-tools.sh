#!/usr/bin/env bash
# Installs the pinned local-chain tools from the npm registry into
# <repo>/.tools: anvil and the Solidity compiler solc-js, which the main job
# needs, and with `--with-forge` also forge, which only the contract's fuzz
# and invariant tests need. Idempotent: does nothing when the pinned
# versions are already there. Needs only node and npm.
#   bash scripts/install-chain-tools.sh [--with-forge]
set -euo pipefail

ANVIL_VERSION="1.7.1"
FORGE_VERSION="1.7.1"
SOLC_VERSION="0.8.37"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"

packages=("@foundry-rs/anvil-linux-amd64@$ANVIL_VERSION" "solc@$SOLC_VERSION")
binaries=(anvil)
case "${1:-}" in
  --with-forge)
    packages+=("@foundry-rs/forge-linux-amd64@$FORGE_VERSION")
    binaries+=(forge)
    ;;
  "") ;;
  *)
    echo "install-chain-tools: unknown option '$1' (the only one is --with-forge)" >&2
    exit 2
    ;;
esac

installed_version() {
  # Prints the version of an installed npm package, or nothing.
  local pkg_json="$tools/node_modules/$1/package.json"
  [ -f "$pkg_json" ] && node -p "require('$pkg_json').version" 2>/dev/null || true
}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-chain-tools: npm is required (install node.js and npm first)" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  name="${package%@*}"
  [ "$(installed_version "$name")" = "${package##*@}" ] || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-chain-tools: ${packages[*]} already in $tools"
else
  mkdir -p "$tools"
  # A package.json of our own keeps npm from walking up to another project.
  [ -f "$tools/package.json" ] || echo '{"name":"arena-chain-tools","private":true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --save-exact "${packages[@]}"
fi

for tool in "${binaries[@]}"; do
  bin="$(find "$tools/node_modules/@foundry-rs/$tool-linux-amd64" -type f -name "$tool" | head -n1)"
  if [ -z "$bin" ]; then
    echo "install-chain-tools: the $tool binary is missing from the npm package" >&2
    exit 1
  fi
  chmod +x "$bin"
  "$bin" --version
done
node -e "console.log('solc ' + require('$tools/node_modules/solc').version())"
