package dev.mqttbanking.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.consumeWindowInsets
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyListScope
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ExitToApp
import androidx.compose.material.icons.automirrored.filled.List
import androidx.compose.material.icons.automirrored.filled.Send
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.KeyboardArrowDown
import androidx.compose.material.icons.filled.KeyboardArrowUp
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.ListItemDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Brush
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import dev.mqttbanking.shared.BankStore
import kotlinx.coroutines.launch
import uniffi.bank_core.ConnectionState
import uniffi.bank_core.HistoryRow
import uniffi.bank_core.NoticeTone
import uniffi.bank_core.RowStatus
import uniffi.bank_core.ViewModel

private enum class Tab(val label: String, val icon: ImageVector) {
    Home("Home", Icons.Filled.Home),
    Transfer("Transfer", Icons.AutoMirrored.Filled.Send),
    History("History", Icons.AutoMirrored.Filled.List),
}

/** Balance, transfer and history, exactly as the core's view model words them. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AccountScreen(view: ViewModel, store: BankStore) {
    var tab by rememberSaveable { mutableStateOf(Tab.Home) }
    var confirmSignOut by rememberSaveable { mutableStateOf(false) }
    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Column {
                        Text(view.accountTitle, style = MaterialTheme.typography.titleLarge)
                        ConnectionIndicator(view)
                    }
                },
                actions = {
                    IconButton(onClick = { confirmSignOut = true }) { Icon(Icons.AutoMirrored.Filled.ExitToApp, "Sign out") }
                },
            )
        },
        bottomBar = {
            NavigationBar {
                Tab.entries.forEach {
                    NavigationBarItem(tab == it, { tab = it }, { Icon(it.icon, null) }, label = { Text(it.label) })
                }
            }
        },
    ) { padding ->
        LazyColumn(
            Modifier.fillMaxSize().padding(padding).consumeWindowInsets(padding).imePadding(),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            if (view.connection == ConnectionState.OFFLINE || view.connection == ConnectionState.LOGIN_FAILED) {
                item { Banner(view.connectionText, NoticeTone.ERROR) }
            }
            view.ledgerText?.let { item { Banner(it, NoticeTone.ERROR) } }
            view.notice?.let { item { Banner(it.text, it.tone) } }
            when (tab) {
                Tab.Home -> home(view, onSend = { tab = Tab.Transfer }, onSeeAll = { tab = Tab.History })
                Tab.Transfer -> item { TransferCard(view, store) }
                Tab.History -> history(view, store)
            }
        }
    }
    if (confirmSignOut) {
        AlertDialog(
            onDismissRequest = { confirmSignOut = false },
            title = { Text("Sign out?") },
            text = { Text("This phone will need the password to sign in again. Transfers still waiting stay on this phone and are sent when this account signs in again.") },
            confirmButton = { TextButton(onClick = { confirmSignOut = false; store.signOut() }) { Text("Sign out") } },
            dismissButton = { TextButton(onClick = { confirmSignOut = false }) { Text("Cancel") } },
        )
    }
}

@Composable
private fun ConnectionIndicator(view: ViewModel) {
    val color = when (view.connection) {
        ConnectionState.ONLINE -> positive
        ConnectionState.CONNECTING, ConnectionState.OFFLINE -> caution
        ConnectionState.LOGIN_FAILED -> MaterialTheme.colorScheme.error
        ConnectionState.DISCONNECTED -> MaterialTheme.colorScheme.outline
    }
    Row(verticalAlignment = Alignment.CenterVertically) {
        Box(Modifier.size(8.dp).background(color, CircleShape))
        Spacer(Modifier.width(6.dp))
        Text(view.connectionText, style = MaterialTheme.typography.labelMedium, maxLines = 1, overflow = TextOverflow.Ellipsis)
    }
}

@Composable
private fun Banner(text: String, tone: NoticeTone) {
    val color = when (tone) {
        NoticeTone.INFO -> MaterialTheme.colorScheme.secondaryContainer
        NoticeTone.SUCCESS -> positive.copy(alpha = 0.16f)
        NoticeTone.ERROR -> MaterialTheme.colorScheme.errorContainer
    }
    Surface(color = color, shape = MaterialTheme.shapes.medium, modifier = Modifier.fillMaxWidth()) {
        Text(text, Modifier.padding(horizontal = 16.dp, vertical = 12.dp), style = MaterialTheme.typography.bodyMedium)
    }
}

private fun LazyListScope.home(view: ViewModel, onSend: () -> Unit, onSeeAll: () -> Unit) {
    item { BalanceCard(view, onSend) }
    item {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Text("Recent activity", Modifier.weight(1f), style = MaterialTheme.typography.titleMedium)
            TextButton(onClick = onSeeAll) { Text("See all") }
        }
    }
    historyRows(view.history.take(RECENT_ROWS), view.historyLoading)
}

private fun LazyListScope.history(view: ViewModel, store: BankStore) {
    historyRows(view.history, view.historyLoading)
    if (view.canLoadMoreHistory) {
        item { TextButton(onClick = store::loadMoreHistory, Modifier.fillMaxWidth()) { Text("Load older transfers") } }
    }
}

private fun LazyListScope.historyRows(rows: List<HistoryRow>, loading: Boolean) {
    when {
        rows.isNotEmpty() -> items(rows, key = { it.id }) { row ->
            Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceContainerLow)) { HistoryItem(row) }
        }
        loading -> item { Box(Modifier.fillMaxWidth().padding(24.dp), Alignment.Center) { CircularProgressIndicator() } }
        else -> item { Text("No transfers yet", Modifier.padding(8.dp), color = MaterialTheme.colorScheme.onSurfaceVariant) }
    }
}

@Composable
private fun BalanceCard(view: ViewModel, onSend: () -> Unit) {
    val colors = MaterialTheme.colorScheme
    Card(shape = MaterialTheme.shapes.extraLarge, colors = CardDefaults.cardColors(containerColor = Color.Transparent)) {
        Column(
            Modifier.fillMaxWidth().background(Brush.linearGradient(listOf(colors.primary, colors.tertiary))).padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(4.dp),
        ) {
            Text("Balance", color = colors.onPrimary.copy(alpha = 0.8f), style = MaterialTheme.typography.labelLarge)
            Text(view.balanceText, color = colors.onPrimary, style = MaterialTheme.typography.displaySmall, fontWeight = FontWeight.SemiBold)
            view.pendingText?.let { Text(it, color = colors.onPrimary.copy(alpha = 0.8f)) }
            view.devicesOnlineText?.let {
                Text(it, color = colors.onPrimary.copy(alpha = 0.8f), style = MaterialTheme.typography.bodySmall)
            }
            Spacer(Modifier.height(12.dp))
            Button(onClick = onSend, colors = ButtonDefaults.buttonColors(containerColor = colors.onPrimary, contentColor = colors.primary)) {
                Icon(Icons.AutoMirrored.Filled.Send, null, Modifier.size(18.dp))
                Spacer(Modifier.width(8.dp))
                Text("Send money")
            }
        }
    }
}

@Composable
private fun TransferCard(view: ViewModel, store: BankStore) {
    // Typed text stays here so the cursor never waits on the core; the core checks every edit.
    var payee by rememberSaveable { mutableStateOf(view.form.payee) }
    var amount by rememberSaveable { mutableStateOf(view.form.amount) }
    var memo by rememberSaveable { mutableStateOf(view.form.memo) }
    val scope = rememberCoroutineScope()
    fun edit(newPayee: String = payee, newAmount: String = amount, newMemo: String = memo) {
        payee = newPayee
        amount = newAmount
        memo = newMemo
        store.editTransfer(payee, amount, memo)
    }
    fun send() = scope.launch {
        if (store.transfer(payee, amount, memo)) edit("", "", "")
    }

    Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceContainerLow)) {
        Column(Modifier.padding(20.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text("Send money", style = MaterialTheme.typography.titleLarge)
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text("Balance", color = MaterialTheme.colorScheme.onSurfaceVariant)
                Text(view.balanceText, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
            FormField(payee, { edit(newPayee = it) }, "To account", "00002", view.form.payeeError, KeyboardType.Number)
            FormField(amount, { edit(newAmount = it) }, "Amount", "5.00", view.form.amountError, KeyboardType.Decimal)
            FormField(memo, { edit(newMemo = it) }, "Memo (optional)", "Lunch", view.form.memoError, KeyboardType.Text, ImeAction.Done)
            Button(onClick = { send() }, Modifier.fillMaxWidth().height(52.dp), enabled = view.form.sendEnabled) {
                Icon(Icons.AutoMirrored.Filled.Send, null, Modifier.size(18.dp))
                Spacer(Modifier.width(8.dp))
                Text("Send")
            }
        }
    }
}

@Composable
private fun FormField(
    value: String, onChange: (String) -> Unit, label: String, example: String, error: String?,
    keyboard: KeyboardType, ime: ImeAction = ImeAction.Next,
) {
    OutlinedTextField(
        value, onChange, Modifier.fillMaxWidth(), singleLine = true,
        label = { Text(label) }, placeholder = { Text(example) }, isError = error != null,
        supportingText = if (error != null) { { Text(error) } } else null,
        keyboardOptions = KeyboardOptions(keyboardType = keyboard, imeAction = ime),
    )
}

@Composable
private fun HistoryItem(row: HistoryRow) {
    val statusColor = when (row.status) {
        RowStatus.PENDING -> caution
        RowStatus.REJECTED -> MaterialTheme.colorScheme.error
        RowStatus.DONE -> MaterialTheme.colorScheme.onSurfaceVariant
    }
    ListItem(
        colors = ListItemDefaults.colors(containerColor = Color.Transparent),
        leadingContent = {
            val tint = if (row.incoming) positive else MaterialTheme.colorScheme.primary
            Surface(shape = CircleShape, color = tint.copy(alpha = 0.12f), modifier = Modifier.size(40.dp)) {
                Icon(if (row.incoming) Icons.Filled.KeyboardArrowDown else Icons.Filled.KeyboardArrowUp, null, Modifier.padding(8.dp), tint = tint)
            }
        },
        headlineContent = { Text(row.title, fontWeight = FontWeight.Medium) },
        supportingContent = {
            Column {
                Text(listOfNotNull(row.memo, row.timeText).joinToString(" · "), maxLines = 1, overflow = TextOverflow.Ellipsis)
                if (row.status != RowStatus.DONE) Text(row.statusText, color = statusColor)
            }
        },
        trailingContent = {
            Column(horizontalAlignment = Alignment.End) {
                Text(
                    row.amountText,
                    color = if (row.incoming) positive else MaterialTheme.colorScheme.onSurface,
                    fontWeight = FontWeight.SemiBold,
                    textDecoration = if (row.status == RowStatus.REJECTED) TextDecoration.LineThrough else null,
                )
                row.balanceAfterText?.let { Text(it, style = MaterialTheme.typography.bodySmall, color = statusColor) }
            }
        },
    )
}

private const val RECENT_ROWS = 5
