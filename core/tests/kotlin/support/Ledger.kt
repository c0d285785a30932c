// A real ledger-service for the Kotlin tests, with its embedded broker on an ephemeral
// loopback port. Shared by core/tests/kotlin and android/shared's tests.

import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit

const val WAIT_MS = 10_000L

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

    override fun close() {
        kill()
        dataDir.deleteRecursively()
    }
}
