#!/usr/bin/env bash
# The iPhone app's Swift, as far as Linux can take it: type-checks the Swift bindings
# generated from bank-core in Swift 5 and Swift 6 language modes, builds ios/BankKit (the
# app's logic in plain Swift) with SwiftPM against the host's libbank_core.so (and holds it
# to Swift 6 mode too), and runs its XCTest suite against real ledger-service processes. Debian 12 has no Swift: the compiler
# is Debian 13's swiftlang in a chroot (scripts/swift-toolchain.sh installs it once).
# SwiftUI, UIKit and the Keychain exist only on Apple's platforms, so the views and
# Keychain.swift are not compiled here. Usage: scripts/swift-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

source scripts/ensure-packages.sh
source scripts/swift-toolchain.sh
ensure_swift

scripts/bindings.sh >/dev/null   # builds the ledger and the core with UniFFI, then generates the bindings

# Where ios/BankCoreKit's manifest takes the core on Linux: the generated Swift, and the C
# header with its module map as a system-library target (build-xcframework.sh puts the
# same Swift there on a Mac, and the header into the xcframework).
kit=ios/BankCoreKit/Sources
mkdir -p "$kit/BankCore" "$kit/BankCoreFFI"
cp target/bindings/swift/BankCore.swift "$kit/BankCore/BankCore.swift"
cp target/bindings/swift/BankCoreFFI.h "$kit/BankCoreFFI/BankCoreFFI.h"
cp target/bindings/swift/BankCoreFFI.modulemap "$kit/BankCoreFFI/module.modulemap"

swift_mounts_up
trap swift_mounts_down EXIT

for mode in 5 6; do
  echo "== Swift bindings: type-check in Swift $mode language mode"
  in_swift swiftc -typecheck -swift-version "$mode" -I "$kit/BankCoreFFI" "$kit/BankCore/BankCore.swift"
done

# The host's core library, found by the linker and at run time. Debian's
# libswiftObservation.so refers to swift::threading::fatal, which none of its libraries
# exports (upstream links it in statically); it is only called to report a fatal error.
swiftpm=(--package-path ios/BankKit --scratch-path target/swift/BankKit
  -Xlinker "-L$root/target/debug" -Xlinker -rpath -Xlinker "$root/target/debug"
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
summary="$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 || true)"
if [[ "$summary" =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failures? ]]; then
  total="${BASH_REMATCH[1]}"
  failed="${BASH_REMATCH[2]}"
  echo "BankKit: $((total - failed)) passed, $failed failed"
  ((total > 0)) || status=1
else
  echo "BankKit: no test summary (the test run ended early); see $log" >&2
  status=1
fi
exit "$status"
