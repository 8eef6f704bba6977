#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet,
# through sudo when not root. Shared by the set-up scripts.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "setup: missing ${missing[*]}; install it (sudo apt-get install ${missing[*]}) and run again" >&2
    exit 1
  fi
fi
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
