//! The operator's explorer as a pure state machine, like [`crate::app`]: messages in,
//! a ready-to-render view out. It is the modern form of MQ Explorer's channel status:
//! every account's balance, the transfers as the ledger applies them, which devices are
//! online, and whether the ledger is up. Every payload is untrusted; a bad one is
//! counted and changes nothing.

mod channels;

pub use channels::{ChannelRow, ChannelsView, ColumnHead, ListenerRow};

use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::{Connection, ConnectionState, local_time, money};
use crate::protocol::{
    AccountId, Amount, AppliedTransfer, BalanceUpdate, MEMO_CHARS_MAX, Online, Presence, Timestamp, Topic, TransferFeed,
};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

/// Presence topics are open to every account user, so their number is bounded here.
const DEVICES_MAX: usize = 1000;
const DEVICE_NAME_CHARS_MAX: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Connected,
    Lost {
        reason: String,
        retry_in: Duration,
    },
    LoginRefused {
        reason: String,
    },
    Message {
        topic: String,
        payload: Vec<u8>,
        retained: bool,
        received_at: DateTime<Utc>,
    },
    /// The operator clicked a Channels column head: its `key`, as the view gave it.
    SortChannels {
        column: String,
    },
    /// The operator typed in the Channels filter: client ids and users containing it are shown.
    FilterChannels {
        text: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
struct Device {
    name: Option<String>,
    online: bool,
    /// When it came online, or when it was last seen before going offline.
    at: Option<DateTime<Utc>>,
}

pub struct Explorer {
    utc_offset: FixedOffset,
    connection: Connection,
    ledger_online: Option<bool>,
    balances: BTreeMap<AccountId, (Amount, u64)>,
    transfers: Vec<AppliedTransfer>,
    devices: BTreeMap<(AccountId, String), Device>,
    channels: channels::Channels,
    ignored_messages: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperatorView {
    /// For the indicator's colour.
    pub connection: ConnectionState,
    pub connection_text: String,
    pub ledger_online: bool,
    pub ledger_text: String,
    pub accounts: Vec<AccountRow>,
    /// The sum of every balance: it never changes, whatever moves between accounts.
    pub total_text: String,
    pub transfers: Vec<TransferRow>,
    pub devices: Vec<DeviceRow>,
    pub devices_online: usize,
    /// `2 online`.
    pub devices_online_text: String,
    pub ignored_messages: u64,
    /// Set when malformed messages were ignored: someone is publishing bad data.
    pub ignored_text: Option<String>,
    /// The broker's clients and listeners: MQ Explorer's channel status.
    pub channels: ChannelsView,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    pub account: String,
    /// `#00001`.
    pub account_text: String,
    pub balance_text: String,
    pub version: u64,
    /// `v12`.
    pub version_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferRow {
    pub id: String,
    /// `#00001 → #00002`.
    pub route: String,
    pub amount_text: String,
    pub memo: Option<String>,
    pub time_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub account: String,
    /// `#00001`.
    pub account_text: String,
    pub name: String,
    pub online: bool,
    /// `Online since Nov 24, 23:15`, `Last seen Nov 24, 23:40`.
    pub seen_text: String,
}

impl Explorer {
    pub fn new(utc_offset: FixedOffset) -> Explorer {
        Explorer {
            utc_offset,
            connection: Connection::Connecting,
            ledger_online: None,
            balances: BTreeMap::new(),
            transfers: Vec::new(),
            devices: BTreeMap::new(),
            channels: channels::Channels::new(utc_offset),
            ignored_messages: 0,
        }
    }

    pub fn update(&mut self, input: Input) {
        match input {
            Input::Connected => {
                self.connection = Connection::Online;
                self.channels.reconnected();
            }
            Input::Lost { reason, retry_in } => self.connection = Connection::Offline { reason, retry_in },
            Input::LoginRefused { reason } => self.connection = Connection::LoginFailed { reason },
            Input::Message { topic, payload, retained, received_at } => {
                if !self.receive(&topic, &payload, retained, received_at) {
                    self.ignored_messages += 1;
                }
            }
            Input::SortChannels { column } => self.channels.sort(&column, self.utc_offset),
            Input::FilterChannels { text } => self.channels.filter(&text, self.utc_offset),
        }
    }

    /// Whether the message was understood.
    fn receive(&mut self, topic: &str, payload: &[u8], retained: bool, received_at: DateTime<Utc>) -> bool {
        match Topic::parse(topic) {
            Some(Topic::LedgerStatus) => {
                serde_json::from_slice::<Online>(payload).map(|status| self.ledger_online = Some(status.online)).is_ok()
            }
            Some(Topic::TransferFeed) => self.on_feed(payload),
            Some(Topic::BalanceUpdate(account)) => self.on_balance(account, payload),
            Some(Topic::Presence(account, device)) => self.on_presence(account, device, payload, retained, received_at),
            Some(Topic::BrokerStatus) => self.channels.receive(payload, self.utc_offset),
            _ => false,
        }
    }

    fn on_balance(&mut self, account: AccountId, payload: &[u8]) -> bool {
        let Ok(update) = serde_json::from_slice::<BalanceUpdate>(payload) else { return false };
        if account != update.account || update.balance.cents() < 0 {
            return false;
        }
        let newer = self.balances.get(&update.account).is_none_or(|(_, version)| update.version > *version);
        if newer {
            self.balances.insert(update.account, (update.balance, update.version));
        }
        true
    }

    fn on_feed(&mut self, payload: &[u8]) -> bool {
        let Ok(mut feed) = serde_json::from_slice::<TransferFeed>(payload) else { return false };
        feed.transfers.truncate(TransferFeed::LEN_MAX);
        self.transfers = feed.transfers;
        true
    }

    /// A live message is stamped with when it arrived; a retained one replays an old
    /// state, so only the time inside it can say when that was.
    fn on_presence(
        &mut self,
        account: AccountId,
        device: &str,
        payload: &[u8],
        retained: bool,
        received: DateTime<Utc>,
    ) -> bool {
        let Ok(presence) = serde_json::from_slice::<Presence>(payload) else { return false };
        let key = (account, device.chars().take(DEVICE_NAME_CHARS_MAX).collect::<String>());
        if !self.devices.contains_key(&key) && self.devices.len() >= DEVICES_MAX {
            return false;
        }
        let stated = presence.at.map(Timestamp::utc);
        // Online: since it connected, as the device says. Offline: when the goodbye or the
        // will arrived; a will can only carry the time its connection began.
        let at = match (presence.online, retained) {
            (false, false) => Some(received),
            _ => stated.or((!retained).then_some(received)),
        };
        let name = presence.name.map(|name| clean(&name, DEVICE_NAME_CHARS_MAX)).filter(|name| !name.is_empty());
        self.devices.insert(key, Device { name, online: presence.online, at });
        true
    }

    pub fn view(&self) -> OperatorView {
        let total = self.balances.values().map(|(balance, _)| balance.cents()).sum();
        let devices_online = self.devices.values().filter(|device| device.online).count();
        OperatorView {
            connection: self.connection.state(),
            connection_text: self.connection.text(),
            ledger_online: self.ledger_online == Some(true),
            ledger_text: match self.ledger_online {
                Some(true) => "Ledger online".into(),
                Some(false) => "Ledger offline: transfers wait until it is back".into(),
                None => "Ledger status unknown".into(),
            },
            accounts: self
                .balances
                .iter()
                .map(|(account, (balance, version))| AccountRow {
                    account: account.to_string(),
                    account_text: format!("#{account}"),
                    balance_text: money(*balance),
                    version: *version,
                    version_text: format!("v{version}"),
                })
                .collect(),
            total_text: money(Amount::from_cents(total)),
            transfers: self.transfers.iter().map(|transfer| self.transfer_row(transfer)).collect(),
            devices: self.device_rows(),
            devices_online,
            devices_online_text: format!("{devices_online} online"),
            ignored_messages: self.ignored_messages,
            ignored_text: (self.ignored_messages > 0).then(|| {
                format!("{} malformed messages ignored (someone is publishing bad data).", self.ignored_messages)
            }),
            channels: self.channels.view().clone(),
        }
    }

    fn transfer_row(&self, transfer: &AppliedTransfer) -> TransferRow {
        let time_text = local_time(transfer.at.utc(), self.utc_offset);
        TransferRow {
            id: transfer.id.to_string(),
            route: format!("#{} → #{}", transfer.from, transfer.to),
            amount_text: money(transfer.amount),
            memo: transfer.memo.as_deref().map(|memo| clean(memo, MEMO_CHARS_MAX)).filter(|memo| !memo.is_empty()),
            time_text,
        }
    }

    /// Online devices first, then by account and name.
    fn device_rows(&self) -> Vec<DeviceRow> {
        let mut rows: Vec<DeviceRow> = self
            .devices
            .iter()
            .map(|((account, id), device)| {
                let when = device.at.map(|at| local_time(at, self.utc_offset));
                let seen_text = match (device.online, when) {
                    (true, Some(when)) => format!("Online since {when}"),
                    (true, None) => "Online".into(),
                    (false, Some(when)) => format!("Last seen {when}"),
                    (false, None) => "Offline".into(),
                };
                let name = device.name.clone().unwrap_or_else(|| format!("Device {id}"));
                DeviceRow {
                    account: account.to_string(),
                    account_text: format!("#{account}"),
                    name,
                    online: device.online,
                    seen_text,
                }
            })
            .collect();
        rows.sort_by(|a, b| (!a.online, &a.account, &a.name).cmp(&(!b.online, &b.account, &b.name)));
        rows
    }
}

/// Names and memos come from other people's devices: no control characters, bounded length.
fn clean(text: &str, chars_max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(chars_max).collect::<String>().trim().to_string()
}

#[cfg(test)]
mod tests;
