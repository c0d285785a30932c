package dev.mqttbanking.shared

/**
 * Keeps an account's password between app starts. The app implements it with the Android
 * Keystore; the password must never reach plain preferences.
 */
interface CredentialStore {
    fun savePassword(account: String, password: String)

    /** `null` when none is kept, or when it can no longer be decrypted. */
    fun password(account: String): String?

    fun forgetPassword(account: String)
}

/** Remembers the last sign-in's broker and account, to fill in the login form. Neither is secret. */
interface LoginMemory {
    fun load(): RememberedLogin?

    fun save(login: RememberedLogin)
}

data class RememberedLogin(val broker: String, val account: String)
