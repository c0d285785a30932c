package dev.mqttbanking.shared

/** Remembers the last sign-in's broker and account, to fill in the login form. Neither is secret. */
interface LoginMemory {
    fun load(): RememberedLogin?

    fun save(login: RememberedLogin)
}

data class RememberedLogin(val broker: String, val account: String)
