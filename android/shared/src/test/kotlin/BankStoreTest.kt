// BankStore against a real ledger-service (support/Ledger.kt in core/tests/kotlin), on a
// plain JVM: the Android app's logic, minus Compose and the Keystore.

import dev.mqttbanking.shared.BankStore
import dev.mqttbanking.shared.LoginState
import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.Executors
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.bank_core.CredentialStore
import uniffi.bank_core.LastLogin
import uniffi.bank_core.RowStatus
import uniffi.bank_core.SignInPhase as Phase

class BankStoreTest {
    /** Stands in for Android's main thread. */
    private val main = Executors.newSingleThreadExecutor { Thread(it, MAIN_THREAD).apply { isDaemon = true } }
        .asCoroutineDispatcher()

    @After
    fun stopMain() = main.close()

    @Test
    fun aBadBrokerAddressOrAccountShowsTheCoresMessageAndOpensNothing() {
        val phone = Phone(main)
        runBlocking { phone.store.signIn("http://laptop", "00001", "demo").join() }
        assertEquals(
            LoginState(error = "'http://' is not a broker address. Use mqtt://host:1883, or mqtts://host:8883 for TLS."),
            phone.store.login.value,
        )
        runBlocking { phone.store.signIn("127.0.0.1", "1", "demo").join() }
        assertEquals(LoginState(error = "The account number is 5 digits, like 00001."), phone.store.login.value)
        assertNull(phone.store.view.value)
        assertEquals(emptyMap<String, String>(), phone.credentials.saved)
        assertNull(phone.store.lastLogin())
    }

    @Test
    fun aWrongPasswordEndsInTheLoginFailedStateAndKeepsNothing() = Ledger().use { ledger ->
        Phone(main).use { phone ->
            phone.store.signIn(ledger.address, "00001", "wrong")
            val login = phone.store.login.await("a refused sign-in") { it.error != null }
            assertEquals(
                LoginState(error = "Login failed: the broker refused the account number or password. Check both and sign in again"),
                login,
            )
            assertNull(phone.store.view.value)
            assertEquals(emptyMap<String, String>(), phone.credentials.saved)
            assertNull(phone.store.lastLogin())
            // The refused session was closed: the same storage signs in with the right password.
            assertEquals(Phase.SIGNED_IN, phone.signIn(ledger, "00001").phase)
        }
    }

    @Test
    fun aTransferFromOneStoreShowsUpLiveInTheOthersStateFlow() = Ledger().use { ledger ->
        Phone(main).use { one ->
            Phone(main).use { two ->
                one.signIn(ledger, "00001")
                two.signIn(ledger, "00002")
                one.store.view.await("00001's balance") { it?.balanceText == "$1,000.00" }
                two.store.view.await("00002's balance") { it?.balanceText == "$726.14" }

                assertTrue(runBlocking { one.store.transfer("00002", "5.00", "lunch") })
                val seen = two.store.view.await("the transfer on the other phone") { it?.balanceText == "$731.14" }!!
                val row = seen.history.first()
                assertEquals(listOf("From #00001", "+$5.00", "lunch", RowStatus.DONE), listOf(row.title, row.amountText, row.memo, row.status))

                val mine = one.store.view.await("the sender's transfer done") { it?.history?.firstOrNull()?.status == RowStatus.DONE }!!
                assertEquals("$995.00", mine.balanceText)
                assertEquals(listOf("To #00002", "-$5.00"), listOf(mine.history.first().title, mine.history.first().amountText))
            }
        }
    }

    @Test
    fun viewsAndLoginStatesArriveOnTheInjectedMainDispatcher() = Ledger().use { ledger ->
        Phone(main).use { phone ->
            // Unconfined collectors run on whichever thread set the value. The core calls its
            // observer on a thread of its own, so any value set there would show up here.
            val threads = ConcurrentLinkedQueue<String>()
            val watcher = CoroutineScope(Dispatchers.Unconfined)
            watcher.launch { phone.store.view.drop(1).collect { threads.add(Thread.currentThread().name) } }
            watcher.launch { phone.store.login.drop(1).collect { threads.add(Thread.currentThread().name) } }

            phone.signIn(ledger, "00001")
            phone.store.view.await("online with a balance") { it?.balanceKnown == true }
            phone.store.editTransfer("00002", "12.345", "")
            val form = phone.store.view.await("an amount error") { it?.form?.amountError != null }!!.form
            assertEquals("Amount can have at most 2 digits after the decimal point", form.amountError)
            assertFalse(form.sendEnabled)
            assertFalse("a form with errors is not queued", runBlocking { phone.store.transfer("00002", "12.345", "") })
            watcher.cancel()

            assertTrue("no values were seen", threads.size >= 3)
            assertEquals(setOf(MAIN_THREAD), threads.toSet())
        }
    }

    @Test
    fun theDeviceTokenNotThePasswordIsKeptAndTheNextStartResumesWithIt(): Unit = Ledger().use { ledger ->
        val storage = tempStorage()
        val credentials = RecordingCredentials()
        Phone(main, storage, credentials).use { phone ->
            phone.store.signIn(" ${ledger.address} ", " 00001 ", "demo")
            phone.store.login.await("signed in") { it.phase == Phase.SIGNED_IN }
            credentials.awaitToken("00001")
        }
        assertEquals(setOf("00001"), credentials.saved.keys)
        assertTrue("a device token, never the password", credentials.saved.getValue("00001").startsWith("bt1."))
        // The core remembers the broker and the account as it read them, and no password.
        Phone(main, storage, credentials).use { restarted ->
            assertEquals(LastLogin(ledger.address, "00001"), restarted.store.lastLogin())
            runBlocking { restarted.store.resume().join() }
            assertEquals(LoginState(Phase.SIGNED_IN), restarted.store.login.value)
            restarted.store.view.await("the account, online") { it?.balanceText == "$1,000.00" }
        }
    }

    @Test
    fun aRevokedTokenSendsTheNextStartToTheLoginScreenForThePassword(): Unit = Ledger().use { ledger ->
        val storage = tempStorage()
        val credentials = RecordingCredentials()
        Phone(main, storage, credentials).use { phone ->
            phone.signIn(ledger, "00003")
            credentials.awaitToken("00003")
        }
        ledger.tokens("revoke", "00003") // as another device, or the operator, would

        Phone(main, storage, credentials).use { restarted ->
            runBlocking { restarted.store.resume().join() }
            val login = restarted.store.login.await("the login screen again") { it.error != null }
            assertEquals(LoginState(error = "Login failed: this device was signed out. Sign in with your password again"), login)
            assertNull(restarted.store.view.value)
            assertEquals("the core deleted the token", emptyMap<String, String>(), credentials.saved)
            assertEquals("the form keeps the account", LastLogin(ledger.address, "00003"), restarted.store.lastLogin())

            assertEquals(Phase.SIGNED_IN, restarted.signIn(ledger, "00003").phase)
            credentials.awaitToken("00003")
        }
    }

    @Test
    fun signOutRevokesTheTokenAndClosesTheSessionSoTheSameStorageSignsInAgain(): Unit = Ledger().use { ledger ->
        val storage = tempStorage()
        Phone(main, storage).use { phone ->
            phone.signIn(ledger, "00002")
            phone.credentials.awaitToken("00002")
            Phone(main, storage).use { intruder ->
                // The core locks an account's storage while a session has it open.
                runBlocking { intruder.store.signIn(ledger.address, "00002", "demo").join() }
                assertEquals(
                    LoginState(error = "account 00002 already has a session open on this storage; close it first."),
                    intruder.store.login.value,
                )
            }

            runBlocking { phone.store.signOut().join() }
            assertEquals(LoginState(), phone.store.login.value)
            assertNull(phone.store.view.value)
            assertEquals("the token is forgotten", emptyMap<String, String>(), phone.credentials.saved)
            eventually("the token revoked on the ledger") { ledger.tokens("list").isBlank() }
            runBlocking { phone.store.resume().join() }
            assertEquals("without a token nothing resumes", LoginState(), phone.store.login.value)
            assertEquals(Phase.SIGNED_IN, phone.signIn(ledger, "00002").phase)
            phone.store.view.await("the account, online") { it?.balanceText == "$726.14" }
        }
    }

    @Test
    fun aSignInThatCannotReachTheBrokerShowsTheCoresProgressAndCanBeCancelled() {
        val closedPort = ServerSocket(0).use { it.localPort }
        Phone(main).use { phone ->
            phone.store.signIn("127.0.0.1:$closedPort", "00001", "demo")
            val login = phone.store.login.await("offline while signing in") { it.progress?.startsWith("Offline") == true }
            val progress = login.progress!!
            assertEquals(Phase.SIGNING_IN, login.phase)
            assertTrue(progress, "nothing is listening at 127.0.0.1:$closedPort" in progress)

            runBlocking { phone.store.signOut().join() }
            assertEquals(LoginState(), phone.store.login.value)
            assertNull(phone.store.view.value)
        }
    }

    companion object {
        const val MAIN_THREAD = "test-main"
    }
}

val Ledger.address get() = "127.0.0.1:$port"

fun tempStorage(): File = Files.createTempDirectory("phone").toFile()

/** One phone's app: a store with an in-memory stand-in for the Keystore. */
class Phone(
    main: CoroutineDispatcher,
    storage: File = tempStorage(),
    val credentials: RecordingCredentials = RecordingCredentials(),
) : AutoCloseable {
    val store = BankStore(storage.path, "JVM phone", credentials, main)

    fun signIn(ledger: Ledger, account: String): LoginState {
        runBlocking { store.signIn(ledger.address, account, "demo").join() } // past any earlier error
        return store.login.await("$account signed in") { it.phase == Phase.SIGNED_IN || it.error != null }
    }

    /** Like the app's process ending: the session is closed, what is remembered stays. */
    override fun close() = runBlocking { store.close().join() }
}

/** The Keystore's stand-in: device tokens by account. The core calls it on threads of its own. */
class RecordingCredentials : CredentialStore {
    val saved = ConcurrentHashMap<String, String>()

    override fun load(account: String): String? = saved[account]

    override fun save(account: String, token: String) {
        saved[account] = token
    }

    override fun delete(account: String) {
        saved.remove(account)
    }

    /** Waits until the core has saved a token for [account]: it asks for one once online. */
    fun awaitToken(account: String) = eventually("a token saved for $account") { saved[account] != null }
}

/** Waits for a value that satisfies [wanted], and returns it. */
fun <T> StateFlow<T>.await(what: String, wanted: (T) -> Boolean): T = runBlocking {
    try {
        withTimeout(WAIT_MS) { first(wanted) }
    } catch (timeout: TimeoutCancellationException) {
        throw AssertionError("no $what within $WAIT_MS ms; last value: $value")
    }
}
