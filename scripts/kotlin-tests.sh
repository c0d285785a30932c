#!/usr/bin/env bash
# Compiles bank-core's generated Kotlin bindings and runs core/tests/kotlin on a plain
# JVM against real ledger-service processes. Installs what it needs if it is missing:
# Debian's JRE, JNA and JUnit 4, and the Kotlin compiler from npm (tools/).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/ensure-packages.sh
ensure_packages libjna-java junit4 mosquitto-clients build-essential pkg-config
command -v java >/dev/null || ensure_packages default-jre-headless
ensure_node

scripts/bindings.sh >/dev/null   # builds the ledger, bank and the core with UniFFI, then generates the bindings

source scripts/kotlin.sh
compile_bindings
compile "$out/tests.jar" "$libs:$out/bindings.jar:/usr/share/java/junit4.jar" core/tests/kotlin/*.kt core/tests/kotlin/support/*.kt

java -Djna.library.path="$root/target/debug" \
    -cp "$out/tests.jar:$out/bindings.jar:$libs:$kotlin/lib/kotlin-stdlib.jar:$junit" \
    -DBANK_TARGET_DIR="$root/target/debug" \
    org.junit.runner.JUnitCore BankSessionTest
