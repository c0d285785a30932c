//! The view model: everything the balance, transfer and history screens show, already
//! worded and formatted. Shells render it as it is: phones through UniFFI, the desktop
//! as JSON (hence `Serialize`).

use super::format;
use super::history::Row;
use super::model::{Connection, Model};
use super::notice::Notice;

use super::outbox::PendingTransfer;
use crate::protocol::Direction;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ViewModel {
    /// `00001`.
    pub account: String,
    /// `Account #00001`.
    pub account_title: String,
    /// Which screen the shell shows; it closes the session once this is `SignedOut`.
    pub sign_in: SignInPhase,
    /// Why the sign-in screen is back: `Login failed: …`.
    pub sign_in_error: Option<String>,
    pub device_name: String,
    /// `$726.14`; `—` until the ledger's balance has arrived.
    pub balance_text: String,
    pub balance_known: bool,
    /// `-$5.00 pending` while transfers wait in the outbox.
    pub pending_text: Option<String>,
    pub connection: ConnectionState,
    /// `Online`, `Offline: …. Retrying in 4 s`, `Login failed: …`.
    pub connection_text: String,
    /// Why the connection is down or was refused, without the countdown: for shells
    /// that say it in their own place, such as `bank`'s error line.
    pub connection_reason: Option<String>,
    /// Set while the ledger is known to be down.
    pub ledger_text: Option<String>,
    /// Newest first: waiting transfers, then applied and rejected ones.
    pub history: Vec<HistoryRow>,
    pub history_loading: bool,
    pub can_load_more_history: bool,
    pub form: TransferForm,
    pub notice: Option<Notice>,
    /// Names of this account's devices that are online now, this one included.
    pub devices_online: Vec<String>,
    /// `Online now: Pixel 8, iPhone`; `None` while none is known.
    pub devices_online_text: Option<String>,
}

/// The sign-in flow every shell follows: the core decides it, shells only render it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SignInPhase {
    /// A password sign-in the broker has not answered: the sign-in screen stays, showing
    /// `connection_text` as progress.
    SigningIn,
    /// The account screens.
    SignedIn,
    /// Refused (a wrong password, or this device's token revoked): back to the sign-in
    /// screen with `sign_in_error`. The session will not retry.
    SignedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Online,
    Offline,
    LoginFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RowStatus {
    Pending,
    Done,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct HistoryRow {
    /// The transfer's id: stable across pending → done, for list keys and animations.
    pub id: String,
    /// `To #00004` / `From #00004`.
    pub title: String,
    /// `-$90.00` / `+$65.86`.
    pub amount_text: String,
    pub incoming: bool,
    pub memo: Option<String>,
    /// `Nov 24, 23:15`, local time.
    pub time_text: String,
    pub status: RowStatus,
    /// `Sending…`, `Waiting for a connection`, `Done`, or `Rejected: not enough money in the account`.
    pub status_text: String,
    /// `Balance $726.14`: the balance right after this entry, for applied entries.
    pub balance_after_text: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferForm {
    pub payee: String,
    pub amount: String,
    pub memo: String,
    pub payee_error: Option<String>,
    pub amount_error: Option<String>,
    pub memo_error: Option<String>,
    pub send_enabled: bool,
}

impl Model {
    pub fn view(&self) -> ViewModel {
        let connection = self.connection.state();
        let pending = self.outbox.total();
        let devices_online = self.devices_online();
        ViewModel {
            account: self.identity.account.to_string(),
            account_title: format!("Account #{}", self.identity.account),
            sign_in: self.sign_in_phase(),
            sign_in_error: matches!(self.connection, Connection::LoginFailed { .. }).then(|| self.connection.text()),
            device_name: self.identity.device_name.clone(),
            balance_text: self.balance.map_or_else(|| "—".into(), |balance| format::money(balance.amount)),
            balance_known: self.balance.is_some(),
            pending_text: (pending.cents() > 0).then(|| format!("-{} pending", format::money(pending))),
            connection,
            connection_text: self.connection.text(),
            connection_reason: self.connection.reason().map(str::to_string),
            ledger_text: (self.ledger_online == Some(false) && connection == ConnectionState::Online)
                .then(|| "The ledger is offline. Transfers will be applied when it is back.".into()),
            history: self.history_rows(),
            history_loading: self.history.is_loading(),
            can_load_more_history: self.history.can_load_more(),
            form: self.form_view(),
            notice: self.notice.clone(),
            devices_online_text: (!devices_online.is_empty())
                .then(|| format!("Online now: {}", devices_online.join(", "))),
            devices_online,
        }
    }

    fn sign_in_phase(&self) -> SignInPhase {
        match (&self.connection, self.signed_in) {
            (Connection::LoginFailed { .. }, _) => SignInPhase::SignedOut,
            (_, true) => SignInPhase::SignedIn,
            (_, false) => SignInPhase::SigningIn,
        }
    }

    fn history_rows(&self) -> Vec<HistoryRow> {
        let offset = self.identity.utc_offset;
        let waiting = if self.connection == Connection::Online { "Sending…" } else { "Waiting for a connection" };
        let pending = self.outbox.transfers().iter().rev().map(|transfer| {
            transfer_row(transfer, format::time(transfer.created_at, offset), RowStatus::Pending, waiting.into())
        });
        let settled = self.history.rows().into_iter().map(|row| match row {
            Row::Done(entry) => HistoryRow {
                id: entry.entry.id.to_string(),
                title: format::counterparty(entry.entry.direction, entry.entry.counterparty),
                amount_text: format::signed_money(entry.entry.amount, entry.entry.direction),
                incoming: entry.entry.direction == Direction::In,
                memo: entry.entry.memo.clone(),
                time_text: format::time(entry.entry.at.utc(), offset),
                status: RowStatus::Done,
                status_text: "Done".into(),
                balance_after_text: Some(format!("Balance {}", format::money(entry.balance))),
            },
            Row::Rejected(rejected) => transfer_row(
                &rejected.transfer,
                format::time(rejected.transfer.created_at, offset),
                RowStatus::Rejected,
                format!("Rejected: {}", rejected.reason),
            ),
        });
        pending.chain(settled).collect()
    }

    fn form_view(&self) -> TransferForm {
        let form = &self.form;
        let filled = !form.payee.is_empty() && !form.amount.is_empty();
        let can_send = !matches!(self.connection, Connection::LoginFailed { .. }) && !self.outbox.is_full();
        TransferForm {
            payee: form.payee.clone(),
            amount: form.amount.clone(),
            memo: form.memo.clone(),
            payee_error: form.errors.payee.clone(),
            amount_error: form.errors.amount.clone(),
            memo_error: form.errors.memo.clone(),
            send_enabled: filled && form.errors.is_empty() && can_send,
        }
    }

    fn devices_online(&self) -> Vec<String> {
        let mut names: Vec<String> = self.devices.values().cloned().collect();
        names.sort();
        names
    }
}

fn transfer_row(transfer: &PendingTransfer, time_text: String, status: RowStatus, status_text: String) -> HistoryRow {
    HistoryRow {
        id: transfer.id.to_string(),
        title: format::counterparty(Direction::Out, transfer.to),
        amount_text: format::signed_money(transfer.amount, Direction::Out),
        incoming: false,
        memo: transfer.memo.clone(),
        time_text,
        status,
        status_text,
        balance_after_text: None,
    }
}

/// The one wording of a connection, for every view that shows one (the app's and the
/// operator's explorer's).
impl Connection {
    pub fn state(&self) -> ConnectionState {
        match self {
            Connection::Idle => ConnectionState::Disconnected,
            Connection::Connecting => ConnectionState::Connecting,
            Connection::Online => ConnectionState::Online,
            Connection::Offline { .. } => ConnectionState::Offline,
            Connection::LoginFailed { .. } => ConnectionState::LoginFailed,
        }
    }

    /// `Online`, `Offline: …. Retrying in 4 s`, `Login failed: …`.
    pub fn text(&self) -> String {
        match self {
            Connection::Idle => "Disconnected".into(),
            Connection::Connecting => "Connecting…".into(),
            Connection::Online => "Online".into(),
            Connection::Offline { reason, retry_in } => {
                format!("Offline: {reason}. Retrying in {} s", retry_in.as_millis().div_ceil(1000))
            }
            Connection::LoginFailed { reason } => format!("Login failed: {reason}"),
        }
    }

    /// Why the connection is down or was refused, without the retry countdown.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Connection::Offline { reason, .. } | Connection::LoginFailed { reason } => Some(reason),
            _ => None,
        }
    }
}
