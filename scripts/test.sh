#!/usr/bin/env bash
# Runs every test suite of MQTT Banking. On a fresh Debian machine it first installs
# what the suites need: Mosquitto (the contract suite's second broker), openssl, WebKitGTK
# for the desktop app, a JRE with JNA and JUnit for the Kotlin tests, Node.js for the
# compiler and grammars, Xvfb, WebKitWebDriver and tauri-driver for the desktop's
# end-to-end test, and Chromium with chromedriver, and python3-gi with WebKitGTK's GObject
# bindings (the bare WebKit window), for the phones' end-to-end test in the browser;
# clang and llvm-14 to cross-build the core for the phones, aapt and Android's framework
# resources to link the app's resources, and Debian 13's Swift in a chroot under
# /var/cache/mqtt-banking (scripts/swift-toolchain.sh) for the iOS package's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh

if ! command -v cargo >/dev/null; then
  echo "error: cargo not found. Install Rust 1.94 or newer with rustup, then run scripts/test.sh again." >&2
  exit 1
fi
ensure_packages mosquitto mosquitto-clients openssl build-essential pkg-config libwebkit2gtk-4.1-dev libjna-java junit4
command -v java >/dev/null || ensure_packages default-jre-headless
ensure_node

echo "== lint: rustfmt and clippy (-D warnings), first, so style problems fail fast"
cargo fmt --all --check
(cd fuzz && cargo fmt --all --check)
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p bank-core --features uniffi --lib --locked -- -D warnings

echo "== build once: every crate, test, bench and binary the suites below use"
cargo build --workspace --all-targets --locked

echo "== cargo test (protocol, app state machine, ledger engine, SQLite store, contract, login, session and Jepsen-style suites, operator explorer, bank-load)"
# bank-load's fleet test must not skip here: cargo test builds the ledger it drives.
BANK_LOAD_REQUIRE_LEDGER=1 cargo test --workspace --locked

echo "== fuzzing: each cargo-fuzz target for 20 s (scripts/fuzz.sh runs them longer)"
scripts/fuzz.sh 20

echo "== Kotlin bindings on the JVM against a real ledger-service"
scripts/kotlin-tests.sh

echo "== Android app logic (android/shared) on the JVM against a real ledger-service"
scripts/android-tests.sh

echo "== iOS logic (ios/BankKit) and the Swift bindings (Swift 6.0.3 in a Debian 13 chroot) against a real ledger-service"
scripts/swift-tests.sh

echo "== the core cross-built for the phones (3 Android ABIs, iPhone), its bindings against the host's"
scripts/cross-builds.sh

echo "== Android resources and manifest linked with aapt2 (a broken reference must fail)"
scripts/android-resources.sh

echo "== syntax of the generated bindings and of the Android and iOS shells"
scripts/syntax-checks.sh

echo "== desktop app end to end in a real window (Xvfb, tauri-driver, WebKitWebDriver)"
scripts/desktop-e2e.sh

echo "== phones in the browser end to end (Chromium and WebKit, WebDriver)"
scripts/web-e2e.sh
