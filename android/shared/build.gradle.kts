import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The app's logic in plain Kotlin, with no Android imports, so it is also compiled and
// tested on a desktop JVM (scripts/android-tests.sh does so without Gradle).
plugins {
    `java-library`
    alias(libs.plugins.kotlin.jvm)
}

val repository: File = rootDir.parentFile
val hostBuild: File = repository.resolve("target/debug")

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
    // The generated bindings, from the same library the app ships.
    sourceSets.named("main") {
        kotlin.srcDir(files(rootProject.layout.buildDirectory.dir("rust/kotlin")).builtBy(":buildRustCore"))
    }
    // The ledger-service helper the core's own Kotlin tests use.
    sourceSets.named("test") {
        kotlin.srcDir(repository.resolve("core/tests/kotlin/support"))
    }
}

dependencies {
    api(libs.kotlinx.coroutines.core)
    // The app brings JNA as its Android aar; the JVM tests bring the plain jar.
    compileOnly(libs.jna)
    testImplementation(libs.jna)
    testImplementation(libs.junit)
}

// The tests run the core built for this machine and a real ledger-service.
val buildHostCore by tasks.registering(Exec::class) {
    description = "Builds bank-core and ledger-service for this machine, for the JVM tests."
    workingDir = repository
    environment("PATH", "${System.getProperty("user.home")}/.cargo/bin${File.pathSeparator}${System.getenv("PATH")}")
    commandLine("bash", "-c", "cargo build --locked -p ledger-service && cargo build --locked -p bank-core --features uniffi")
}

tasks.test {
    dependsOn(buildHostCore)
    systemProperty("jna.library.path", hostBuild.path)
    environment("BANK_TARGET_DIR", hostBuild.path)
}
