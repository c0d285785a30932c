#!/usr/bin/env bash
# Builds bank-core and generates its Kotlin and Swift bindings in library mode, into
# target/bindings/{kotlin,swift}. Usage: scripts/bindings.sh [extra cargo build flags]
set -euo pipefail
cd "$(dirname "$0")/.."

# The whole workspace, so the Kotlin tests find ledger-service and bank beside the library,
# and cargo builds the dependencies once with one set of features. The workspace includes
# the desktop app, which builds against WebKitGTK.
source scripts/ensure-packages.sh
ensure_packages build-essential pkg-config libwebkit2gtk-4.1-dev
cargo build --locked --workspace "$@"
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
