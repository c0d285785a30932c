#!/usr/bin/env bash
# Builds bank-core and generates its Kotlin and Swift bindings in library mode, into
# target/bindings/{kotlin,swift}. Usage: scripts/bindings.sh [extra cargo build flags]
set -euo pipefail
cd "$(dirname "$0")/.."

# The workspace as scripts/test.sh builds it (ledger-service and bank for the Kotlin
# tests; the desktop app in it builds against WebKitGTK), then the core with its UniFFI
# layer, which only the bindings need: the rest of the workspace builds it without.
source scripts/ensure-packages.sh
ensure_packages build-essential pkg-config libwebkit2gtk-4.1-dev
cargo build --locked --workspace --all-targets "$@"
cargo build --locked -p bank-core --features uniffi "$@"
profile=debug
[[ " $* " == *" --release "* ]] && profile=release
library="$PWD/target/$profile/libbank_core.so"
[[ "$(uname -s)" == Darwin ]] && library="$PWD/target/$profile/libbank_core.dylib"
bindgen="$PWD/target/$profile/uniffi-bindgen"
out="$PWD/target/bindings"
rm -rf "$out"

# From inside the crate, so uniffi-bindgen finds core/uniffi.toml and the crate's metadata.
cd core
"$bindgen" generate "$library" --language kotlin --no-format --out-dir "$out/kotlin"
"$bindgen" generate "$library" --language swift --no-format --out-dir "$out/swift"
echo "bindings: $out/kotlin and $out/swift"
