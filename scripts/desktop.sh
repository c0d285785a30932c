#!/usr/bin/env bash
# Starts the desktop app, after installing the Linux libraries Tauri builds against if
# they are missing (Debian's WebKitGTK 4.1, a C compiler and pkg-config).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
ensure_packages libwebkit2gtk-4.1-dev build-essential pkg-config
exec cargo run --locked -p bank-desktop
