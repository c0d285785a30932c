package dev.mqttbanking.app

import android.app.Application
import android.os.Build
import android.provider.Settings
import dev.mqttbanking.shared.BankStore
import java.io.File
import kotlinx.coroutines.Dispatchers

class BankApplication : Application() {
    /** One store for the process, so rotations and new activities keep the session. */
    val store: BankStore by lazy {
        BankStore(
            // Not backed up: a device id restored onto another phone would share its client id.
            storageDir = File(noBackupFilesDir, "bank-core").path,
            // The name people gave the phone, so the two demo phones tell themselves apart.
            deviceName = Settings.Global.getString(contentResolver, Settings.Global.DEVICE_NAME) ?: Build.MODEL,
            credentials = KeystoreCredentialStore(this),
            mainDispatcher = Dispatchers.Main.immediate,
        ).also { it.resume() }
    }
}
