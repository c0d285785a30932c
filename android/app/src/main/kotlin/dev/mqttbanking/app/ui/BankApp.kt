package dev.mqttbanking.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Lock
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ElevatedCard
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import dev.mqttbanking.shared.BankStore
import dev.mqttbanking.shared.LoginState
import uniffi.bank_core.SignInPhase

/**
 * The login screen until the broker has accepted the password, then the account. A refused
 * sign-in, such as this phone's token revoked from another device, brings the login screen back.
 */
@Composable
fun BankApp(store: BankStore) {
    val login by store.login.collectAsStateWithLifecycle()
    val view by store.view.collectAsStateWithLifecycle()
    val account = view
    when {
        login.phase != SignInPhase.SIGNED_IN -> LoginScreen(login, store)
        account != null -> AccountScreen(account, store)
        else -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { CircularProgressIndicator() }
    }
}

@Composable
private fun LoginScreen(state: LoginState, store: BankStore) {
    val remembered = remember { store.lastLogin() }
    var broker by rememberSaveable { mutableStateOf(remembered?.broker.orEmpty()) }
    var account by rememberSaveable { mutableStateOf(remembered?.account.orEmpty()) }
    var password by remember { mutableStateOf("") } // never into saved instance state
    val signingIn = state.phase == SignInPhase.SIGNING_IN
    fun signIn() {
        store.signIn(broker, account, password)
    }

    Column(
        Modifier.fillMaxSize().background(MaterialTheme.colorScheme.background).safeDrawingPadding()
            .verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(24.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        Surface(shape = CircleShape, color = MaterialTheme.colorScheme.primary, modifier = Modifier.size(72.dp)) {
            Icon(Icons.Filled.Lock, null, Modifier.padding(20.dp), tint = MaterialTheme.colorScheme.onPrimary)
        }
        Text("MQTT Bank", style = MaterialTheme.typography.headlineMedium, fontWeight = FontWeight.SemiBold)
        ElevatedCard(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(20.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                OutlinedTextField(
                    broker, { broker = it }, Modifier.fillMaxWidth(), enabled = !signingIn, singleLine = true,
                    label = { Text("Broker address") }, placeholder = { Text("192.168.1.20") },
                    supportingText = { Text("The address ledger-service printed, or mqtts://host for TLS") },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri, imeAction = ImeAction.Next),
                )
                OutlinedTextField(
                    account, { account = it }, Modifier.fillMaxWidth(), enabled = !signingIn, singleLine = true,
                    label = { Text("Account number") }, placeholder = { Text("00001") },
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number, imeAction = ImeAction.Next),
                )
                OutlinedTextField(
                    password, { password = it }, Modifier.fillMaxWidth(), enabled = !signingIn, singleLine = true,
                    label = { Text("Password") }, visualTransformation = PasswordVisualTransformation(),
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password, imeAction = ImeAction.Done),
                    keyboardActions = KeyboardActions(onDone = { signIn() }),
                )
                state.error?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyMedium) }
                if (signingIn) {
                    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                        CircularProgressIndicator(Modifier.size(20.dp), strokeWidth = 2.dp)
                        Text(state.progress.orEmpty(), style = MaterialTheme.typography.bodyMedium)
                    }
                    OutlinedButton(onClick = { store.signOut() }, Modifier.fillMaxWidth().height(52.dp)) { Text("Cancel") }
                } else {
                    Button(onClick = ::signIn, Modifier.fillMaxWidth().height(52.dp)) { Text("Sign in") }
                }
            }
        }
    }
}
