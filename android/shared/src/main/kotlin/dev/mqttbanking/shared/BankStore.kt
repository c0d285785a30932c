package dev.mqttbanking.shared

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.bank_core.BankSession
import uniffi.bank_core.CredentialStore
import uniffi.bank_core.LastLogin
import uniffi.bank_core.SessionConfig
import uniffi.bank_core.SessionException
import uniffi.bank_core.SignInPhase
import uniffi.bank_core.ViewModel
import uniffi.bank_core.ViewObserver
import uniffi.bank_core.loginConfig
import uniffi.bank_core.rememberedLogin
import uniffi.bank_core.resumeConfig

/** Where the login screen stands, as the core's view says. The texts are the core's, ready to show. */
data class LoginState(
    val phase: SignInPhase = SignInPhase.SIGNED_OUT,
    /** While signing in: the core's connection text, such as `Offline: … Retrying in 2 s`. */
    val progress: String? = null,
    /** Why the last sign-in did not succeed. */
    val error: String? = null,
)

/**
 * The app's one bank-core session, for the UI to render and drive: sign in and out, and the
 * screens' actions. It holds no rules: the core's [ViewModel] says which screen to show and
 * carries every text, error and enabled state, and the core remembers the last login.
 *
 * The typed password goes to the core once and is kept nowhere. Signed in with it, the core
 * saves this phone's device token in [credentials] (the app's Keystore); every later start
 * signs in with that token instead.
 *
 * Every change happens on [mainDispatcher], which must run its tasks one at a time and in
 * order, as Android's main thread does. The core calls observers on a thread of its own, so
 * each view hops onto [mainDispatcher] before it reaches [view]. No call here waits on the
 * network.
 */
class BankStore(
    private val storageDir: String,
    private val deviceName: String,
    private val credentials: CredentialStore,
    private val mainDispatcher: CoroutineDispatcher,
) {
    private val scope = CoroutineScope(SupervisorJob() + mainDispatcher)
    private val views = MutableStateFlow<ViewModel?>(null)
    private val logins = MutableStateFlow(LoginState())

    /** The session's latest view; `null` while signed out. */
    val view: StateFlow<ViewModel?> = views.asStateFlow()
    val login: StateFlow<LoginState> = logins.asStateFlow()

    /** The session in use or being signed in. Read and written on the main dispatcher only. */
    private var current: Device? = null

    /** What the login form starts with: the broker and account the core last got online with. */
    fun lastLogin(): LastLogin? = rememberedLogin(storageDir)

    /** Reopens the last account with this phone's device token, if the core has one to resume. */
    fun resume(): Job = scope.launch {
        if (current != null) return@launch
        resumeConfig(storageDir, deviceName, credentials)?.let(::openSession)
    }

    /** Signs in; the core's view keeps the login screen up until the broker accepts the password. */
    fun signIn(broker: String, account: String, password: String): Job = scope.launch {
        if (current != null) return@launch
        try {
            openSession(loginConfig(broker, account, password, deviceName, storageDir))
        } catch (refused: SessionException) {
            logins.value = LoginState(error = refused.message)
        }
    }

    /**
     * Ends the session, or the sign-in in progress. The core revokes this phone's token and
     * deletes it from [credentials], so the next sign-in needs the password.
     */
    fun signOut(): Job = scope.launch {
        val device = current ?: return@launch
        device.session.signOut()
        end(device)
        logins.value = LoginState()
    }

    /**
     * Ends the session but keeps the token, as when the app's process ends: the next
     * [resume] opens the same account again.
     */
    fun close(): Job = scope.launch {
        current?.let(::end)
        logins.value = LoginState()
    }

    /** Re-checks the transfer form as the user types; the view's form carries the errors. */
    fun editTransfer(payee: String, amount: String, memo: String) {
        scope.launch { current?.session?.editTransfer(payee, amount, memo) }
    }

    /** Whether the transfer was queued. When it was not, the view's form or notice says why. */
    suspend fun transfer(payee: String, amount: String, memo: String): Boolean = withContext(mainDispatcher) {
        val session = current?.session ?: return@withContext false
        try {
            session.transfer(payee, amount, memo) != null
        } catch (notSaved: SessionException) {
            false // the core has already put why into the view's notice
        }
    }

    fun loadMoreHistory() {
        scope.launch { current?.session?.loadMoreHistory() }
    }

    private fun openSession(config: SessionConfig) {
        val device = Device()
        try {
            device.session = BankSession(config, device, credentials)
        } catch (refused: SessionException) {
            logins.value = LoginState(error = refused.message)
            return
        }
        current = device
        device.session.connect()
        show(device, device.session.view())
    }

    private fun show(device: Device, view: ViewModel) {
        val progress = view.connectionText.takeIf { view.signIn == SignInPhase.SIGNING_IN }
        if (view.signIn == SignInPhase.SIGNED_OUT) end(device) else views.value = view
        logins.value = LoginState(view.signIn, progress, view.signInError)
    }

    /** Closing releases the storage's session lock, so the next sign-in may use it. */
    private fun end(device: Device) {
        current = null
        views.value = null
        device.session.close()
    }

    /** One session and its observer. Views of a session that is no longer current are dropped. */
    private inner class Device : ViewObserver {
        lateinit var session: BankSession

        override fun onView(view: ViewModel) {
            scope.launch { if (current === this@Device) show(this@Device, view) }
        }
    }
}
