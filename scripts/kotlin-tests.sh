#!/usr/bin/env bash
# Compiles bank-core's generated Kotlin bindings and runs core/tests/kotlin on a plain
# JVM against real ledger-service processes. Installs what it needs if it is missing:
# Debian's JRE, JNA and JUnit 4, and the Kotlin compiler from npm (tools/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

source scripts/ensure-packages.sh
ensure_packages libjna-java junit4 mosquitto-clients build-essential pkg-config
command -v java >/dev/null || ensure_packages default-jre-headless
ensure_node

scripts/bindings.sh >/dev/null   # builds the workspace, then generates the bindings

kotlin=$root/tools/node_modules/kotlin-compiler
kotlinc=$kotlin/bin/kotlinc
out=$root/target/kotlin
mkdir -p "$out"
libs=/usr/share/java/jna.jar:$kotlin/lib/kotlinx-coroutines-core-jvm.jar
bindings=$root/target/bindings/kotlin/uniffi/bank_core/bank_core.kt

# kotlinc takes tens of seconds: rebuild each jar only when its sources or the jars it
# compiles against change.
compile() { # jar, classpath, sources...
    local jar=$1 classpath=$2; shift 2
    local stamp; stamp=$(cat "$@" $(tr ':' ' ' <<<"$classpath") | sha256sum | cut -d' ' -f1)
    if [[ -f $jar && "$(cat "$jar.sha256" 2>/dev/null)" == "$stamp" ]]; then return; fi
    echo "kotlinc -> ${jar#$root/}"
    "$kotlinc" -nowarn -classpath "$classpath" -d "$jar" "$@"
    echo "$stamp" >"$jar.sha256"
}
compile "$out/bindings.jar" "$libs" "$bindings"
compile "$out/tests.jar" "$libs:$out/bindings.jar:/usr/share/java/junit4.jar" core/tests/kotlin/*.kt

java -Djna.library.path="$root/target/debug" \
    -cp "$out/tests.jar:$out/bindings.jar:$libs:$kotlin/lib/kotlin-stdlib.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar" \
    -DBANK_TARGET_DIR="$root/target/debug" \
    org.junit.runner.JUnitCore BankSessionTest
