#!/usr/bin/env bash
# Compiles android/shared (the Android app's logic, which has no Android imports) with the
# generated Kotlin bindings, and runs its tests on a plain JVM against real ledger-service
# processes. Installs what it needs if it is missing: Debian's JRE, JNA and JUnit 4, and
# the Kotlin compiler from npm (tools/).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/ensure-packages.sh
ensure_packages libjna-java junit4 build-essential pkg-config
command -v java >/dev/null || ensure_packages default-jre-headless
ensure_node

scripts/bindings.sh >/dev/null   # builds the ledger, bank and the core with UniFFI, then generates the bindings

source scripts/kotlin.sh
compile_bindings
mapfile -t main_sources < <(find android/shared/src/main/kotlin -name '*.kt' | sort)
mapfile -t test_sources < <(find android/shared/src/test/kotlin -name '*.kt' | sort)
compile "$out/android-shared.jar" "$libs:$out/bindings.jar" "${main_sources[@]}"
compile "$out/android-shared-tests.jar" "$libs:$out/bindings.jar:$out/android-shared.jar:$junit" \
    core/tests/kotlin/support/*.kt "${test_sources[@]}"

BANK_TARGET_DIR="$root/target/debug" java -Djna.library.path="$root/target/debug" \
    -cp "$out/android-shared-tests.jar:$out/android-shared.jar:$out/bindings.jar:$libs:$kotlin/lib/kotlin-stdlib.jar:$junit" \
    org.junit.runner.JUnitCore BankStoreTest
