#!/usr/bin/env bash
# The desktop app's end-to-end test in a real window: builds the app, the ledger and
# `bank`, then drives the app under Xvfb through tauri-driver and WebKitWebDriver.
# Installs what it needs if it is missing. Screenshots go to target/e2e-screenshots/desktop-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
ensure_packages libwebkit2gtk-4.1-dev build-essential pkg-config xvfb xauth dbus-daemon webkit2gtk-driver
ensure_node
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked

# The same build as scripts/test.sh's, so after it this compiles nothing.
cargo build --locked --workspace --all-targets
rm -f target/e2e-screenshots/desktop-*.png
# WebKit wants a session bus and a writable runtime dir; Xvfb gives it a screen.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
xvfb-run --auto-servernum --server-args="-screen 0 1280x860x24" \
    dbus-run-session -- node e2e/desktop.mjs target/debug
