#!/usr/bin/env bash
# Checks the syntax of the generated bindings with tree-sitter (there is no Swift
# toolchain here), after proving on broken files that the checker does fail.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
ensure_node

scripts/bindings.sh >/dev/null
node --test tools/*.test.mjs   # a directory argument means a module to Node 22+
node tools/syntax-check.mjs target/bindings/swift target/bindings/kotlin
