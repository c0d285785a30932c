import java.util.Properties

plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.jvm) apply false
    alias(libs.plugins.kotlin.compose) apply false
}

val repository: File = rootDir.parentFile

/** The Android SDK that Android Studio wrote into local.properties, else $ANDROID_HOME. */
val androidSdk: String? = rootProject.file("local.properties").takeIf { it.exists() }
    ?.let { file -> Properties().apply { file.inputStream().use(::load) }.getProperty("sdk.dir") }
    ?: System.getenv("ANDROID_HOME")

// bank-core for every ABI the app ships (build/rust/jniLibs, for :app), and its Kotlin
// bindings generated from that same library (build/rust/kotlin, for :shared).
val buildRustCore by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds bank-core with cargo-ndk and generates its Kotlin bindings (build-rust.sh)."
    val script = file("build-rust.sh")
    val output = layout.buildDirectory.dir("rust")
    inputs.dir(repository.resolve("core/src"))
    inputs.files(
        script,
        repository.resolve("core/Cargo.toml"),
        repository.resolve("core/uniffi.toml"),
        repository.resolve("Cargo.lock"),
    )
    outputs.dir(output)
    // The NDK this project pins, unless the environment already names one.
    if (System.getenv("ANDROID_NDK_HOME") == null && androidSdk != null) {
        environment("ANDROID_NDK_HOME", "$androidSdk/ndk/${libs.versions.ndk.get()}")
    }
    commandLine(script.path, output.get().asFile.path)
}
