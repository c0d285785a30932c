#!/usr/bin/env bash
# The iPhone app's Swift, as far as Linux can take it: type-checks the Swift bindings
# generated from bank-core in Swift 5 and Swift 6 language modes, builds ios/BankKit (the
# app's logic in plain Swift) with SwiftPM against the host's libbank_core.so (and holds it
# to Swift 6 mode too), and runs its XCTest suite against real ledger-service processes.
# Debian 12 has no Swift: the compiler is Debian 13's swiftlang in a chroot
# (scripts/swift-toolchain.sh installs it once; chroot and mount need root).
# SwiftUI, UIKit and the Keychain exist only on Apple's platforms, so the views and
# Keychain.swift are not compiled here. Usage: scripts/swift-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

source scripts/ensure-packages.sh
source scripts/swift-toolchain.sh
ensure_swift

scripts/bindings.sh >/dev/null   # builds the ledger and the core with UniFFI, then generates the bindings

# A copy of the core with its UniFFI layer, for the linker and the tests: a later build of
# the workspace (without the uniffi feature) writes target/debug/libbank_core.so again.
lib="$root/target/swift/lib"
mkdir -p "$lib"
cp target/debug/libbank_core.so "$lib/"
nm -D --defined-only "$lib/libbank_core.so" | grep ffi_bank_core_rustbuffer_from_bytes >/dev/null || {
  echo "error: target/debug/libbank_core.so has no UniFFI layer: another cargo build replaced it; run again" >&2
  exit 1
}

# Where ios/BankCoreKit's manifest takes the core on Linux: the generated Swift, and the C
# header with its module map as a system-library target (build-xcframework.sh puts the
# same Swift there on a Mac, and the header into the xcframework).
kit=ios/BankCoreKit/Sources
mkdir -p "$kit/BankCore" "$kit/BankCoreFFI"
cp target/bindings/swift/BankCore.swift "$kit/BankCore/BankCore.swift"
cp target/bindings/swift/BankCoreFFI.h "$kit/BankCoreFFI/BankCoreFFI.h"
cp target/bindings/swift/BankCoreFFI.modulemap "$kit/BankCoreFFI/module.modulemap"

# A test run that crashes leaves its ledger-service processes running in the chroot, and
# they would keep the repository's mount busy: end those, by process id, before unmounting.
stop_chroot_ledgers() {
  local proc
  for proc in /proc/[0-9]*; do
    [[ "$(readlink "$proc/root" 2>/dev/null)" == "$SWIFT_ROOT" &&
      "$(readlink "$proc/exe" 2>/dev/null)" == "$SWIFT_ROOT$root/target/debug/ledger-service"* ]] &&
      kill -KILL "${proc#/proc/}" 2>/dev/null || true
  done
}
swift_mounts_up
trap 'stop_chroot_ledgers; swift_mounts_down || echo "warning: could not unmount $SWIFT_ROOT$root" >&2' EXIT

for mode in 5 6; do
  echo "== Swift bindings: type-check in Swift $mode language mode"
  in_swift swiftc -typecheck -swift-version "$mode" -I "$kit/BankCoreFFI" "$kit/BankCore/BankCore.swift"
done

# The host's core library, found by the linker and at run time. Debian's
# libswiftObservation.so refers to swift::threading::fatal, which none of its libraries
# exports (upstream links it in statically); it is only called to report a fatal error.
swiftpm=(--package-path ios/BankKit --scratch-path target/swift/BankKit
  -Xlinker "-L$lib" -Xlinker -rpath -Xlinker "$lib"
  -Xlinker --allow-shlib-undefined)

echo "== BankKit: build with its tests (SwiftPM)"
in_swift swift build --build-tests "${swiftpm[@]}"

# SwiftPM builds it in Swift 5 mode, as Xcode builds the app; this holds it to Swift 6's
# strict concurrency too, without a single warning.
echo "== BankKit: type-check in Swift 6 language mode, warnings as errors"
in_swift swiftc -typecheck -swift-version 6 -warnings-as-errors -module-name BankKit \
  -I target/swift/BankKit/debug/Modules -I "$kit/BankCoreFFI" ios/BankKit/Sources/BankKit/*.swift

echo "== BankKit: XCTest against real ledger-service processes"
log="$root/target/swift/BankKit-tests.log"
status=0
in_swift "BANK_TARGET_DIR=$root/target/debug" swift test --skip-build --disable-swift-testing "${swiftpm[@]}" \
  2>&1 | tee "$log" || status=$?
# XCTest's summary counts failed assertions; count the test cases instead.
passed="$(grep -cE "^Test Case '.*' passed" "$log" || true)"
failed="$(grep -cE "^Test Case '.*' failed" "$log" || true)"
echo "BankKit: $passed passed, $failed failed"
if ! grep -qE '^Test Suite .All tests. (passed|failed)' "$log"; then
  echo "BankKit: the test run ended early (a crash?); see $log" >&2
  status=1
fi
((passed > 0 && failed == 0)) || status=1
exit "$status"
