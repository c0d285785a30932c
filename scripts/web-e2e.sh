#!/usr/bin/env bash
# The page phones open, end to end in real browsers: builds the ledger and `bank`, then
# e2e/web.mjs starts a ledger-service (broker, ledger and web gateway) on free loopback
# ports and drives two phones, `bank` and an operator's browser over W3C WebDriver: first
# in Chromium (chromedriver, headless, mobile emulation), then in WebKit (WebKitWebDriver
# and a bare WebKitGTK window, e2e/webkit-window.py, under Xvfb). Installs what it needs
# if it is missing. Prints the latencies; screenshots go to target/e2e-screenshots/web-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
ensure_packages build-essential pkg-config libwebkit2gtk-4.1-dev chromium chromium-driver webkit2gtk-driver libwebkit2gtk-4.1-0 gir1.2-webkit2-4.1 gir1.2-gtk-3.0 python3-gi xvfb xauth dbus-daemon
command -v node >/dev/null || ensure_packages nodejs

# The same build as scripts/test.sh's, so after it this compiles nothing.
cargo build --locked --workspace --all-targets
rm -f target/e2e-screenshots/web-*.png
# WebKit wants a session bus and a writable runtime dir; Xvfb gives it a screen.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
xvfb-run --auto-servernum --server-args="-screen 0 1280x860x24" \
    dbus-run-session -- node e2e/web.mjs target/debug chromium webkit
