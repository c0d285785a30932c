#!/usr/bin/env bash
# Builds bank-core for iPhones and for the iOS simulator (Apple silicon and Intel Macs),
# packs it into BankCoreFFI.xcframework, and generates its Swift bindings with the
# workspace's pinned UniFFI generator, both inside the local Swift package
# ios/BankCoreKit, which the app and ios/BankKit (the app's logic) depend on. Run it on a
# Mac with Xcode 16, again after every change to core/. Usage: ios/build-xcframework.sh
# (On Linux, scripts/swift-tests.sh fills the same package from the host's core instead.)
set -euo pipefail

ios="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ios")"
package="$ios/BankCoreKit"
device_target=aarch64-apple-ios
simulator_targets=(aarch64-apple-ios-sim x86_64-apple-ios)
library=libbank_core.a
# The app's deployment target, so the core's objects are built for the same iOS.
export IPHONEOS_DEPLOYMENT_TARGET=17.0

fail() {
  echo "error: $*" >&2
  exit 1
}

[[ "$(uname -s)" == Darwin ]] || fail "building for iOS needs a Mac with Xcode 16."
xcodebuild -version >/dev/null 2>&1 ||
  fail "xcodebuild does not work. Install Xcode 16, open it once, then run: sudo xcode-select -s /Applications/Xcode.app"
for sdk in iphoneos iphonesimulator; do
  xcrun --sdk "$sdk" --show-sdk-path >/dev/null 2>&1 ||
    fail "the $sdk SDK is missing. In Xcode, Settings > Components, install the iOS platform."
done
for tool in cargo rustup; do
  command -v "$tool" >/dev/null || fail "$tool not found. Install Rust with rustup: https://rustup.rs"
done

cd "$root"   # so rustup applies this repository's toolchain, if it pins one
installed="$(rustup target list --installed)"
missing=()
for target in "$device_target" "${simulator_targets[@]}"; do
  grep -qx "$target" <<<"$installed" || missing+=("$target")
done
((${#missing[@]} == 0)) || fail "Rust cannot build for ${missing[*]} yet. Run: rustup target add ${missing[*]}"

# Absolute, and the same for the generator run from core/ below.
mkdir -p "${CARGO_TARGET_DIR:-target}"
target_dir="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)"
export CARGO_TARGET_DIR="$target_dir"
work="$target_dir/ios-xcframework"
rm -rf "$work"
mkdir -p "$work/simulator" "$work/headers" "$work/swift"

for target in "$device_target" "${simulator_targets[@]}"; do
  echo "== bank-core for $target"
  # bank-core declares lib and cdylib crate types; an iOS app links a static library.
  cargo rustc --locked --release -p bank-core --features uniffi --lib --target "$target" --crate-type staticlib
done

echo "== one simulator library for arm64 and x86_64"
lipo -create \
  "$target_dir/${simulator_targets[0]}/release/$library" \
  "$target_dir/${simulator_targets[1]}/release/$library" \
  -output "$work/simulator/$library"

echo "== Swift bindings"
# From inside the crate, so the generator finds core/uniffi.toml (module BankCore, FFI
# module BankCoreFFI). It reads the API from the library that goes into the app.
(cd core && cargo run --locked -q -p uniffi-bindgen -- generate \
  "$target_dir/$device_target/release/$library" --language swift --no-format --out-dir "$work/swift")
mv "$work/swift/BankCoreFFI.h" "$work/headers/"
# An xcframework's headers directory is found by clang through a module.modulemap.
mv "$work/swift/BankCoreFFI.modulemap" "$work/headers/module.modulemap"

echo "== BankCoreFFI.xcframework"
rm -rf "$package/BankCoreFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$target_dir/$device_target/release/$library" -headers "$work/headers" \
  -library "$work/simulator/$library" -headers "$work/headers" \
  -output "$package/BankCoreFFI.xcframework"
mkdir -p "$package/Sources/BankCore"
mv "$work/swift/BankCore.swift" "$package/Sources/BankCore/BankCore.swift"

echo "done: $package holds BankCoreFFI.xcframework and Sources/BankCore/BankCore.swift"
echo "next: cd ios && xcodegen generate && open MQTTBanking.xcodeproj"
