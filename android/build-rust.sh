#!/usr/bin/env bash
# Builds bank-core for the app's ABIs with cargo-ndk, then generates the Kotlin bindings
# from that same library with the workspace's pinned uniffi-bindgen. Gradle runs it as
# :buildRustCore before every build; it can also be run by hand.
#
#   android/build-rust.sh [OUT_DIR]      (default: android/build/rust)
#
# Writes OUT_DIR/jniLibs/<abi>/libbank_core.so and OUT_DIR/kotlin/uniffi/bank_core/bank_core.kt.
# Needs cargo-ndk, the Rust Android targets and an NDK (ANDROID_NDK_HOME, or the newest one
# under the SDK); see android/README.md.
set -euo pipefail
android=$(cd "$(dirname "$0")" && pwd)
repository=$(dirname "$android")
out=${1:-$android/build/rust}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Android Studio started from a desktop launcher does not get the shell's PATH.
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo ndk --version >/dev/null 2>&1; then
  echo "error: cargo-ndk is missing. Install it with: cargo install cargo-ndk --version 4.1.2 --locked" >&2
  exit 1
fi

cd "$repository"
# Always optimised: a debug build of the core is tens of megabytes per ABI. Platform 26 is
# the app's minSdk.
rm -rf "$out/jniLibs"
cargo ndk --target arm64-v8a --target armeabi-v7a --target x86_64 --platform 26 \
  --output-dir "$out/jniLibs" build --locked --release -p bank-core --features uniffi

# From inside the crate, so uniffi-bindgen finds core/uniffi.toml. It reads the library's
# symbol table, so it gets cargo's own output, which nothing strips.
rm -rf "$out/kotlin"
cd core
cargo run --locked --quiet -p uniffi-bindgen -- generate \
  "${CARGO_TARGET_DIR:-$repository/target}/aarch64-linux-android/release/libbank_core.so" \
  --language kotlin --no-format --out-dir "$out/kotlin"
echo "bank-core: $out/jniLibs and $out/kotlin"
