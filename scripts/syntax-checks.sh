#!/usr/bin/env bash
# Checks the syntax of the generated bindings and of the Android and iOS shells with
# tree-sitter, after proving on broken files, the shells' own among them, that the checker
# does fail. It is the only check the Compose and SwiftUI files get here: Linux has no
# SwiftUI, and no Compose runtime or android.jar can be had (the logic under them is
# compiled and tested by android-tests.sh and swift-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
ensure_node

scripts/bindings.sh >/dev/null
node --test tools/*.test.mjs   # a directory argument means a module to Node 22+
node tools/syntax-check.mjs target/bindings/swift target/bindings/kotlin android ios
