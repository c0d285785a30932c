package dev.mqttbanking.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import androidx.core.content.edit
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.bank_core.CredentialStore

/**
 * This phone's device tokens, one per account, for the core: encrypted with AES-GCM under a
 * key that lives in the Android Keystore and never leaves it; only the IV and ciphertext are
 * written to preferences. No password is kept. The core calls it on threads of its own, and
 * nothing here throws back into the core: a token that cannot be kept or read only means the
 * next sign-in needs the password.
 */
class KeystoreCredentialStore(context: Context) : CredentialStore {
    private val prefs = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)

    init {
        // Earlier versions kept the password itself, encrypted the same way: drop it.
        context.deleteSharedPreferences(OLD_PREFS)
        runCatching { KeyStore.getInstance(KEYSTORE).apply { load(null) }.deleteEntry(OLD_KEY_ALIAS) }
    }

    override fun save(account: String, token: String) {
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, key()) }
            val sealed = cipher.iv + cipher.doFinal(token.toByteArray())
            prefs.edit { putString(account, Base64.encodeToString(sealed, Base64.NO_WRAP)) }
        } catch (refused: Exception) { // GeneralSecurityException, or the Keystore's ProviderException
            delete(account) // an earlier token of this phone stopped working when this one was issued
        }
    }

    /** `null` when none is kept, or when it can no longer be decrypted. */
    override fun load(account: String): String? {
        val stored = prefs.getString(account, null) ?: return null
        return try {
            val sealed = Base64.decode(stored, Base64.NO_WRAP)
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES))
            String(cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES))
        } catch (unreadable: Exception) {
            // The key is gone (app data cleared, or restored onto another phone): sign in again.
            delete(account)
            null
        }
    }

    override fun delete(account: String) {
        prefs.edit { remove(account) }
    }

    private fun key(): SecretKey {
        val keyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (keyStore.getKey(KEY_ALIAS, null) as? SecretKey)?.let { return it }
        val spec = KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE).apply { init(spec) }.generateKey()
    }

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val PREFS = "device-tokens"
        const val KEY_ALIAS = "bank-device-tokens"
        const val OLD_PREFS = "credentials"
        const val OLD_KEY_ALIAS = "bank-passwords"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
