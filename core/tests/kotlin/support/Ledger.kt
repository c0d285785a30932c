// A real ledger-service for the Kotlin tests, with its embedded broker on an ephemeral
// loopback port. Shared by core/tests/kotlin and android/shared's tests.

import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit

const val WAIT_MS = 10_000L

/** Waits until [done] holds. */
fun eventually(what: String, done: () -> Boolean) {
    val deadline = System.currentTimeMillis() + WAIT_MS
    while (!done()) {
        if (System.currentTimeMillis() > deadline) throw AssertionError("not $what within $WAIT_MS ms")
        Thread.sleep(50)
    }
}

/** Where cargo put the binaries; set by scripts/kotlin-tests.sh and scripts/android-tests.sh. */
val targetDir: File = File(System.getenv("BANK_TARGET_DIR") ?: "target/debug")

class Ledger : AutoCloseable {
    val port: Int = ServerSocket(0).use { it.localPort }
    val dataDir: File = Files.createTempDirectory("ledger").toFile()
    val log = File(dataDir, "ledger.log")
    private var process: Process? = null

    init { start() }

    fun start() {
        process = ProcessBuilder(
            File(targetDir, "ledger-service").path,
            "--mqtt-listen", "127.0.0.1:$port",
            "--data-dir", dataDir.path,
        ).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start()
        val deadline = System.currentTimeMillis() + WAIT_MS
        while (runCatching { Socket("127.0.0.1", port).close() }.isFailure) {
            check(System.currentTimeMillis() < deadline) { "ledger-service did not listen on $port:\n${log.readText()}" }
            Thread.sleep(20)
        }
    }

    /** SIGKILL: the broker and the ledger vanish at once, as on a power cut. */
    fun kill() {
        process?.destroyForcibly()?.waitFor(WAIT_MS, TimeUnit.MILLISECONDS)
        process = null
    }

    /** `ledger-service tokens ARGS` on this ledger's data, while it runs: its output. */
    fun tokens(vararg args: String): String {
        val command = listOf(File(targetDir, "ledger-service").path, "tokens", "--data-dir", dataDir.path) + args
        val process = ProcessBuilder(command).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor() == 0) { "$command failed: $output" }
        return output
    }

    override fun close() {
        kill()
        dataDir.deleteRecursively()
    }
}
