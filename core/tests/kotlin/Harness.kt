// Devices for the Kotlin tests, whose every view is recorded, and the in-memory stand-in
// for a phone's Keystore or Keychain; the ledger they talk to is in support/Ledger.kt.

import java.io.File
import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import uniffi.bank_core.BankSession
import uniffi.bank_core.CredentialStore
import uniffi.bank_core.SessionConfig
import uniffi.bank_core.ViewModel
import uniffi.bank_core.ViewObserver

/**
 * A phone: a session, its storage directory, its credential store, and every view the core
 * has pushed. An empty [password] signs in with the token in [credentials].
 */
class Device(
    ledger: Ledger,
    account: String,
    password: String = "demo",
    val storage: File = tempStorage(),
    val credentials: MemoryCredentialStore = MemoryCredentialStore(),
) : AutoCloseable {
    private val views = LinkedBlockingQueue<ViewModel>()
    @Volatile var latest: ViewModel? = null
        private set

    private val observer = object : ViewObserver {
        override fun onView(view: ViewModel) {
            latest = view
            views.put(view)
        }
    }

    val session = BankSession(
        SessionConfig(
            host = "127.0.0.1",
            port = ledger.port.toUShort(),
            tls = false,
            account = account,
            password = password,
            deviceName = "JVM $account",
            keepaliveSecs = 5u,
            storageDir = storage.path,
        ),
        observer,
        credentials,
    )

    /** Waits for a view that satisfies [wanted], and returns it. */
    fun until(what: String, timeoutMs: Long = WAIT_MS, wanted: (ViewModel) -> Boolean): ViewModel {
        val deadline = System.currentTimeMillis() + timeoutMs
        latest?.let { if (wanted(it)) return it }
        while (true) {
            val left = deadline - System.currentTimeMillis()
            val view = views.poll(maxOf(left, 0), TimeUnit.MILLISECONDS)
                ?: throw AssertionError("no view $what within $timeoutMs ms; last view: $latest")
            if (wanted(view)) return view
        }
    }

    /** Every view pushed from now for [ms] milliseconds. */
    fun viewsDuring(ms: Long): List<ViewModel> {
        views.clear()
        Thread.sleep(ms)
        return generateSequence { views.poll() }.toList()
    }

    override fun close() = session.close()

    companion object {
        fun tempStorage(): File = Files.createTempDirectory("device").toFile()
    }
}

/** Device tokens by account, as the core saved them; the core calls it on threads of its own. */
class MemoryCredentialStore : CredentialStore {
    val saved = ConcurrentHashMap<String, String>()

    override fun load(account: String): String? = saved[account]

    override fun save(account: String, token: String) {
        saved[account] = token
    }

    override fun delete(account: String) {
        saved.remove(account)
    }

    /** Waits until the core has saved a token for [account], and returns it. */
    fun awaitToken(account: String): String {
        eventually("a token saved for $account") { saved[account] != null }
        return saved.getValue(account)
    }
}

fun isCurrent(view: ViewModel) =
    view.connection == uniffi.bank_core.ConnectionState.ONLINE && view.balanceKnown && !view.historyLoading

/** Threads of this whole process, Rust's included. */
fun osThreads(): Int = File("/proc/self/status").readLines().first { it.startsWith("Threads:") }.split(Regex("\\s+"))[1].toInt()
