#!/usr/bin/env bash
# Installs the pinned local-chain tools (anvil and the Solidity compiler solc-js)
# from the npm registry into <repo>/.tools. Idempotent: does nothing when the
# pinned versions are already there. Needs only node and npm.
set -euo pipefail

ANVIL_VERSION="1.7.1"
SOLC_VERSION="0.8.37"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"

installed_version() {
  # Prints the version of an installed npm package, or nothing.
  local pkg_json="$tools/node_modules/$1/package.json"
  [ -f "$pkg_json" ] && node -p "require('$pkg_json').version" 2>/dev/null || true
}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-chain-tools: npm is required (install node.js and npm first)" >&2
  exit 1
fi

if [ "$(installed_version @foundry-rs/anvil-linux-amd64)" = "$ANVIL_VERSION" ] &&
   [ "$(installed_version solc)" = "$SOLC_VERSION" ]; then
  echo "install-chain-tools: anvil $ANVIL_VERSION and solc $SOLC_VERSION already in $tools"
else
  mkdir -p "$tools"
  # A package.json of our own keeps npm from walking up to another project.
  [ -f "$tools/package.json" ] || echo '{"name":"arena-chain-tools","private":true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --save-exact \
    "@foundry-rs/anvil-linux-amd64@$ANVIL_VERSION" "solc@$SOLC_VERSION"
fi

anvil="$(find "$tools/node_modules/@foundry-rs/anvil-linux-amd64" -type f -name anvil | head -n1)"
if [ -z "$anvil" ]; then
  echo "install-chain-tools: the anvil binary is missing from the npm package" >&2
  exit 1
fi
chmod +x "$anvil"
"$anvil" --version
node -e "console.log('solc ' + require('$tools/node_modules/solc').version())"
