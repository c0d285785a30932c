// The generated Kotlin bindings on a plain JVM, against a real ledger-service: what
// the Android app does, minus Compose.

import java.io.File
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.bank_core.ConnectionState
import uniffi.bank_core.RowStatus
import uniffi.bank_core.SessionException

class BankSessionTest {
    @Test
    fun twoSessionsSeeTheirOpeningBalances() = Ledger().use { ledger ->
        Device(ledger, "00001").use { one ->
            Device(ledger, "00002").use { two ->
                one.session.connect()
                two.session.connect()
                assertEquals("$1,000.00", one.until("current", wanted = ::isCurrent).balanceText)
                assertEquals("$726.14", two.until("current", wanted = ::isCurrent).balanceText)
                assertEquals("00002", two.latest!!.account)
            }
        }
    }

    @Test
    fun aTransferShowsUpLiveOnTheOtherSessionAndInBankWatch() = Ledger().use { ledger ->
        Device(ledger, "00001").use { one ->
            Device(ledger, "00002").use { two ->
                BankWatch(ledger, "00002").use { watch ->
                    one.session.connect()
                    two.session.connect()
                    one.until("current", wanted = ::isCurrent)
                    two.until("current", wanted = ::isCurrent)
                    watch.awaitLine("its header") { it.startsWith("Account #00002") }

                    val sent = System.nanoTime()
                    val id = one.session.transfer("00002", "5.00", "kotlin")!!
                    val seen = two.until("with the transfer") { it.balanceText == "$731.14" }
                    val sessionMs = (System.nanoTime() - sent) / 1e6
                    val line = watch.awaitLine("with the transfer") { "From #00001" in it && "+$5.00" in it }
                    val watchMs = (line.atNanos - sent) / 1e6

                    val row = seen.history.first()
                    assertEquals(listOf("From #00001", "+$5.00", "kotlin", id), listOf(row.title, row.amountText, row.memo, row.id))
                    assertEquals(RowStatus.DONE, row.status)
                    val mine = one.until("with its transfer done") { it.history.firstOrNull()?.status == RowStatus.DONE }
                    assertEquals("$995.00", mine.balanceText)
                    assertEquals("To #00002", mine.history.first().title)
                    assertEquals("-$5.00", mine.history.first().amountText)
                    println("LATENCY send -> other Kotlin session: %.2f ms; send -> bank watch line: %.2f ms".format(sessionMs, watchMs))
                }
            }
        }
    }

    @Test
    fun aBadAmountIsAViewErrorAndNothingIsSent() = Ledger().use { ledger ->
        Device(ledger, "00001").use { one ->
            one.session.connect()
            one.until("current", wanted = ::isCurrent)
            Spy(ledger, "bank/transfer/request/+").use { spy ->
                assertNull(one.session.transfer("00002", "12.345", ""))
                val form = one.until("with an amount error") { it.form.amountError != null }.form
                assertEquals("Amount can have at most 2 digits after the decimal point", form.amountError)
                assertEquals(false, form.sendEnabled)
                one.session.editTransfer("00002", "12.34", "")
                assertTrue(one.until("with send enabled") { it.form.sendEnabled }.form.amountError == null)
                // The control: a valid transfer is seen by the same spy, so silence above means something.
                one.session.transfer("00002", "1.00", "control")!!
                val requests = spy.messages(1)
                assertEquals(1, requests.size)
                assertTrue(requests.single(), "\"control\"" in requests.single())
            }
        }
    }

    @Test
    fun aWrongPasswordShowsLoginFailedWithoutAReconnectLoop() = Ledger().use { ledger ->
        Device(ledger, "00001", password = "wrong").use { device ->
            device.session.connect()
            val view = device.until("login failed") { it.connection == ConnectionState.LOGIN_FAILED }
            assertTrue(view.connectionText, view.connectionText.startsWith("Login failed:"))
            val later = device.viewsDuring(3_000)
            assertEquals("no views after the refusal", emptyList<Any>(), later)
            assertEquals(1, Regex("refused a login").findAll(ledger.log.readText()).count())
        }
    }

    @Test
    fun anOfflineTransferSurvivesAnAppRestartAndIsAppliedOnce() = Ledger().use { ledger ->
        val storage = Device.tempStorage()
        val id = Device(ledger, "00003", storage = storage).use { phone ->
            phone.session.connect()
            assertEquals("$2,500.00", phone.until("current", wanted = ::isCurrent).balanceText)
            ledger.kill()
            phone.until("offline") { it.connection == ConnectionState.OFFLINE }
            val id = phone.session.transfer("00005", "25.00", "offline")!!
            assertEquals(RowStatus.PENDING, phone.session.view().history.first().status)
            id
        } // the app is closed while the ledger is still down

        ledger.start()
        Device(ledger, "00003", storage = storage).use { phone ->
            assertEquals("read back from disk", id, phone.session.view().history.first().id)
            phone.session.connect()
            val view = phone.until("with the transfer applied") { v ->
                isCurrent(v) && v.history.any { it.id == id && it.status == RowStatus.DONE }
            }
            assertEquals("$2,475.00", view.balanceText)
            assertEquals(1, view.history.count { it.id == id })
        }
        Device(ledger, "00005").use { payee ->
            payee.session.connect()
            val view = payee.until("current", wanted = ::isCurrent)
            assertEquals("applied exactly once", "$25.00", view.balanceText)
            assertEquals(1, view.history.size)
        }
    }

    @Test
    fun aTransferMadeWhileTheLedgerIsDownIsSentWhenTheSameSessionReconnects() = Ledger().use { ledger ->
        Device(ledger, "00002").use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            ledger.kill()
            phone.until("offline") { it.connection == ConnectionState.OFFLINE }
            val id = phone.session.transfer("00001", "6.14", "")!!
            ledger.start()
            val view = phone.until("reconnected with the transfer applied") { v -> v.history.any { it.id == id && it.status == RowStatus.DONE } }
            assertEquals("$720.00", view.balanceText)
        }
    }

    @Test
    fun aPasswordSignInSavesADeviceTokenThatTheNextSessionSignsInWith() = Ledger().use { ledger ->
        val storage = Device.tempStorage()
        val credentials = MemoryCredentialStore()
        val refused = assertThrows(SessionException.InvalidConfig::class.java) {
            Device(ledger, "00001", password = "", storage = storage, credentials = credentials)
        }
        assertEquals("no password and no token", "Enter the password for this account.", refused.message)

        val token = Device(ledger, "00001", storage = storage, credentials = credentials).use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            phone.credentials.awaitToken("00001")
        }
        assertTrue(token, Regex("bt1\\.[A-Za-z0-9_-]{43}").matches(token))
        assertEquals(listOf("00001"), ledger.tokens("list").lines().filter { it.isNotBlank() }.map { it.take(5) })

        Device(ledger, "00001", password = "", storage = storage, credentials = credentials).use { phone ->
            phone.session.connect()
            assertEquals("$1,000.00", phone.until("current", wanted = ::isCurrent).balanceText)
            phone.session.transfer("00002", "1.00", "by token")!!
            phone.until("with its transfer done") { it.history.firstOrNull()?.status == RowStatus.DONE }
        }
        assertEquals("a token sign-in asks for no new token", mapOf("00001" to token), credentials.saved)
    }

    @Test
    fun signingOutRevokesAndForgetsTheTokenAndARevokedTokenAsksForThePassword() = Ledger().use { ledger ->
        val storage = Device.tempStorage()
        val credentials = MemoryCredentialStore()
        val token = Device(ledger, "00004", storage = storage, credentials = credentials).use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            val token = credentials.awaitToken("00004")
            phone.session.signOut()
            assertNull("forgotten at once", credentials.saved["00004"])
            phone.until("disconnected") { it.connection == ConnectionState.DISCONNECTED }
            token
        }
        eventually("revoked on the ledger") { ledger.tokens("list").isBlank() }

        credentials.save("00004", token) // as if this phone had kept a copy
        Device(ledger, "00004", password = "", storage = storage, credentials = credentials).use { phone ->
            phone.session.connect()
            val view = phone.until("login failed") { it.connection == ConnectionState.LOGIN_FAILED }
            assertEquals("Login failed: this device was signed out. Sign in with your password again", view.connectionText)
            assertNull("the core deleted the refused token", credentials.saved["00004"])
        }
        // The password signs the same device in again, and earns it a new token.
        Device(ledger, "00004", storage = storage, credentials = credentials).use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            assertNotEquals(token, phone.credentials.awaitToken("00004"))
        }
    }

    @Test
    fun oneDeviceSignsOutAnotherOfTheSameAccount() = Ledger().use { ledger ->
        val laptop = Device.tempStorage()
        val lost = MemoryCredentialStore()
        Device(ledger, "00003", storage = laptop, credentials = lost).use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            lost.awaitToken("00003")
        }
        Device(ledger, "00003").use { phone ->
            phone.session.connect()
            phone.until("current", wanted = ::isCurrent)
            phone.session.revokeDevice(File(laptop, "device-id").readText().trim())
            val notice = phone.until("the revoke confirmed") { it.notice != null }.notice!!
            assertTrue(notice.text, notice.text.endsWith(" is signed out. It needs the password to sign in again."))
        }
        Device(ledger, "00003", password = "", storage = laptop, credentials = lost).use { phone ->
            phone.session.connect()
            val view = phone.until("login failed") { it.connection == ConnectionState.LOGIN_FAILED }
            assertEquals("Login failed: this device was signed out. Sign in with your password again", view.connectionText)
            assertEquals(emptyMap<String, String>(), lost.saved)
        }
    }

    @Test
    fun closedSessionsLeaveNoThreadsAndRefuseCalls() = Ledger().use { ledger ->
        Device(ledger, "00004").use { it.session.connect(); it.until("current", wanted = ::isCurrent) } // warms up the shared runtime
        Thread.sleep(500)
        val baseline = osThreads()
        repeat(20) {
            Device(ledger, "00004").use { device ->
                device.session.connect()
                device.until("current", wanted = ::isCurrent)
            }
        }
        var threads = osThreads()
        val deadline = System.currentTimeMillis() + 5_000
        while (threads > baseline + 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100)
            threads = osThreads()
        }
        println("THREADS before 20 sessions: $baseline, after closing them: $threads")
        assertTrue("threads grew from $baseline to $threads", threads <= baseline + 2)

        val closed = Device(ledger, "00004")
        closed.close()
        try {
            closed.session.view()
            fail("a closed session must refuse calls")
        } catch (expected: IllegalStateException) {
        }
    }

    @Test
    fun anObserverMayCallBackIntoTheSession() = Ledger().use { ledger ->
        val seen = LinkedBlockingQueue<String>()
        lateinit var session: uniffi.bank_core.BankSession
        val observer = object : uniffi.bank_core.ViewObserver {
            override fun onView(view: uniffi.bank_core.ViewModel) {
                // Would deadlock if the core called us under its lock. A view already on its
                // way while close() runs can still arrive; by then the session refuses calls.
                runCatching { session.view() }.onSuccess { seen.put(it.connectionText) }
            }
        }
        val storage = Device.tempStorage()
        session = uniffi.bank_core.BankSession(
            uniffi.bank_core.SessionConfig(host = "127.0.0.1", port = ledger.port.toUShort(), tls = false, account = "00001",
                password = "demo", deviceName = "reentrant", storageDir = storage.path),
            observer,
            MemoryCredentialStore(),
        )
        session.use {
            it.connect()
            val deadline = System.currentTimeMillis() + WAIT_MS
            while (seen.poll(100, TimeUnit.MILLISECONDS) != "Online") {
                assertTrue("never saw Online", System.currentTimeMillis() < deadline)
            }
        }
    }
}

/** `bank --account A watch`, with each output line timestamped as it arrives. */
class BankWatch(ledger: Ledger, account: String) : AutoCloseable {
    class Line(val text: String, val atNanos: Long)

    private val lines = LinkedBlockingQueue<Line>()
    private val storage = Device.tempStorage()
    private val process = ProcessBuilder(File(targetDir, "bank").path, "--port", "${ledger.port}", "--account", account,
        "--storage-dir", storage.path, "watch")
        .also { it.environment()["BANK_PASSWORD"] = "demo" }
        .redirectErrorStream(true)
        .start()

    init {
        Thread {
            process.inputStream.bufferedReader().forEachLine { lines.put(Line(it, System.nanoTime())) }
        }.apply { isDaemon = true }.start()
    }

    fun awaitLine(what: String, wanted: (String) -> Boolean): Line {
        val deadline = System.currentTimeMillis() + WAIT_MS
        while (true) {
            val line = lines.poll(maxOf(deadline - System.currentTimeMillis(), 0), TimeUnit.MILLISECONDS)
                ?: throw AssertionError("bank watch printed no line $what")
            if (wanted(line.text)) return line
        }
    }

    override fun close() {
        process.destroy()
        process.waitFor(5, TimeUnit.SECONDS)
        storage.deleteRecursively()
    }
}

/** `mosquitto_sub` as the read-only operator: what really crossed the broker. */
class Spy(ledger: Ledger, topic: String) : AutoCloseable {
    private val output = java.io.File.createTempFile("spy", ".txt")
    private val process = ProcessBuilder("mosquitto_sub", "-h", "127.0.0.1", "-p", "${ledger.port}", "-u", "operator",
        "-P", "operator", "-t", topic, "-v").redirectOutput(output).redirectErrorStream(true).start()

    init { Thread.sleep(500) } // subscribed before anything is sent

    /** What arrived, once [count] messages have or the wait is over; then a little longer, to catch extras. */
    fun messages(count: Int): List<String> {
        val deadline = System.currentTimeMillis() + WAIT_MS
        while (output.readLines().size < count && System.currentTimeMillis() < deadline) Thread.sleep(20)
        Thread.sleep(500)
        return output.readLines()
    }

    override fun close() {
        process.destroy()
        output.delete()
    }
}
