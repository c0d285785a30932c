#!/usr/bin/env bash
# Runs every test suite of MQTT Banking. On a fresh Debian machine it first installs
# what the suites need: Mosquitto (the second broker of the contract suite) and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "error: cargo not found. Install Rust 1.94 or newer with rustup, then run scripts/test.sh again." >&2
  exit 1
fi

packages=(mosquitto mosquitto-clients openssl build-essential pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "== installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts Mosquitto as a system service on port 1883, which ledger-service needs.
  # The tests start their own Mosquitto on free ports, so the service is not wanted.
  if [[ " ${missing[*]} " == *" mosquitto "* ]] && command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
    echo "== stopping the mosquitto system service so port 1883 stays free for ledger-service"
    $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
fi

echo "== cargo test (protocol, ledger engine, SQLite store, contract suite on both brokers)"
cargo test --workspace --locked
