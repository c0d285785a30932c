package dev.mqttbanking.app

import android.content.Context
import androidx.core.content.edit
import dev.mqttbanking.shared.LoginMemory
import dev.mqttbanking.shared.RememberedLogin

/** The last broker and account in plain preferences: neither is secret. */
class PrefsLoginMemory(context: Context) : LoginMemory {
    private val prefs = context.getSharedPreferences("login", Context.MODE_PRIVATE)

    override fun load(): RememberedLogin? {
        val broker = prefs.getString(BROKER, null) ?: return null
        val account = prefs.getString(ACCOUNT, null) ?: return null
        return RememberedLogin(broker, account)
    }

    override fun save(login: RememberedLogin) {
        prefs.edit {
            putString(BROKER, login.broker)
            putString(ACCOUNT, login.account)
        }
    }

    private companion object {
        const val BROKER = "broker"
        const val ACCOUNT = "account"
    }
}
