# Sourced, from the repository root, by the scripts that compile Kotlin for a plain JVM:
# the compiler from tools/, Debian's JNA and JUnit 4, and bank-core's generated bindings.
# Run scripts/bindings.sh first; `compile_bindings` then turns them into a jar.

root=$PWD
kotlin=$root/tools/node_modules/kotlin-compiler
kotlinc=$kotlin/bin/kotlinc
out=$root/target/kotlin
mkdir -p "$out"
libs=/usr/share/java/jna.jar:$kotlin/lib/kotlinx-coroutines-core-jvm.jar
junit=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
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

compile_bindings() {
    compile "$out/bindings.jar" "$libs" "$bindings"
}
