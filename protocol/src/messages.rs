//! Payloads, as JSON. The ledger writes them; devices read them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AccountId, Amount, Reason, Timestamp};

/// Published to `bank/transfer/result/{payer}`, QoS 1, not retained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TransferResult {
    Accepted {
        id: Uuid,
        /// The payer's balance right after this transfer.
        balance: Amount,
        /// The payer's account version right after this transfer.
        version: u64,
    },
    Rejected {
        /// `None` only when the request's id could not be read.
        id: Option<Uuid>,
        reason: Reason,
        /// A sentence a person can act on.
        message: String,
    },
}

impl TransferResult {
    pub fn id(&self) -> Option<Uuid> {
        match self {
            TransferResult::Accepted { id, .. } => Some(*id),
            TransferResult::Rejected { id, .. } => *id,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

/// One side of an applied transfer, as seen from one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The transfer's id.
    pub id: Uuid,
    pub direction: Direction,
    pub counterparty: AccountId,
    pub amount: Amount,
    pub memo: Option<String>,
    /// When the ledger applied it.
    pub at: Timestamp,
}

/// Published retained to `bank/balanceUpdate/{account}`: the source of truth for a balance.
///
/// Format 2 carries every change of one batch in `entries`, so a batch costs one message
/// per changed account instead of one per change. Format 1 (no `format` field) carried at
/// most one change in `entry`; it is still read, and a format 1 reader takes a format 2
/// update for a snapshot and fetches the history it lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceUpdate {
    #[serde(default = "BalanceUpdate::format_1")]
    pub format: u8,
    pub account: AccountId,
    pub balance: Amount,
    pub version: u64,
    /// Format 1: the change that produced this version; `None` in a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
    /// Format 2: the changes up to this version, oldest first, at most
    /// [`BalanceUpdate::ENTRIES_MAX`]; empty in a snapshot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<HistoryEntry>,
}

impl BalanceUpdate {
    pub const FORMAT: u8 = 2;
    /// Keeps an update under half the 256 KiB a device accepts, whatever the memos; more
    /// changes of one account in one batch go out as several updates.
    pub const ENTRIES_MAX: usize = 128;

    fn format_1() -> u8 {
        1
    }

    /// The account as it stands, with no changes attached.
    pub fn snapshot(account: AccountId, balance: Amount, version: u64) -> BalanceUpdate {
        BalanceUpdate { format: Self::FORMAT, account, balance, version, entry: None, entries: Vec::new() }
    }

    /// The update that ends with the newest of `entries` (oldest first, at least one).
    pub fn coalesced(account: AccountId, entries: Vec<HistoryEntry>) -> BalanceUpdate {
        let newest = entries.last().expect("an update carries at least one entry");
        let (balance, version) = (newest.balance, newest.version);
        BalanceUpdate { format: Self::FORMAT, account, balance, version, entry: None, entries }
    }

    /// The changes this update carries, oldest first, in either format. Empty for a
    /// snapshot, and for changes that do not run one version at a time up to `version`
    /// and `balance`: those say nothing trustworthy, so the reader fetches history.
    pub fn changes(&self) -> Vec<HistoryEntry> {
        if let Some(entry) = &self.entry {
            return vec![HistoryEntry { version: self.version, balance: self.balance, entry: entry.clone() }];
        }
        let consecutive = self.entries.windows(2).all(|pair| pair[0].version.checked_add(1) == Some(pair[1].version));
        let ends_here =
            self.entries.last().is_some_and(|newest| newest.version == self.version && newest.balance == self.balance);
        if self.entries.len() > Self::ENTRIES_MAX || !consecutive || !ends_here {
            return Vec::new();
        }
        self.entries.clone()
    }
}

/// Payload of `bank/history/request/{account}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRequest {
    pub limit: u32,
    /// Return entries older than this version; `None` for the newest.
    pub before_version: Option<u64>,
}

/// One row of history: the entry, the version it produced and the balance after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: u64,
    pub balance: Amount,
    #[serde(flatten)]
    pub entry: Entry,
}

/// Published to `bank/history/result/{account}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HistoryResult {
    Page {
        account: AccountId,
        /// Echo of the request, so a device can match pages to requests.
        before_version: Option<u64>,
        /// Newest first.
        entries: Vec<HistoryEntry>,
        /// Pass as `before_version` to get the next older page; `None` at the oldest entry.
        next_before_version: Option<u64>,
    },
    Rejected {
        account: AccountId,
        reason: Reason,
        message: String,
    },
}

/// One applied transfer, both sides in one line, for the operator's feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTransfer {
    pub id: Uuid,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Amount,
    pub memo: Option<String>,
    /// When the ledger applied it.
    pub at: Timestamp,
}

/// Published retained to `bank/ledger/transfers` after every batch that applied
/// transfers, and on every ledger connect: the newest applied transfers first, at most
/// [`TransferFeed::LEN_MAX`]. Retained, so an operator who opens the explorer sees the
/// recent past at once. Only the operator may read it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFeed {
    pub transfers: Vec<AppliedTransfer>,
}

impl TransferFeed {
    /// 50 transfers with maximal memos stay under 32 KiB.
    pub const LEN_MAX: usize = 50;
}

/// Payload of `bank/presence/{account}/{device}`, retained; the last will says offline.
/// `{device}` is a stable random id, so two phones with the same name stay apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub online: bool,
    /// What the device calls itself ("Pixel 8"), for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When this state began as the device knows it: when it connected, or when it
    /// said goodbye. A last will carries the time its connection began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

impl Presence {
    pub fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("presence always serialises")
    }
}

/// Payload of `bank/ledger/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Online {
    pub online: bool,
}

impl Online {
    pub fn json(online: bool) -> Vec<u8> {
        serde_json::to_vec(&Online { online }).expect("serialising a bool cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transfer_results_have_the_documented_shape() {
        let id = Uuid::nil();
        let accepted = TransferResult::Accepted { id, balance: Amount::from_cents(99_500), version: 7 };
        assert_eq!(
            serde_json::to_value(&accepted).unwrap(),
            json!({"id": id, "status": "accepted", "balance": "995.00", "version": 7})
        );
        let rejected = TransferResult::Rejected {
            id: None,
            reason: Reason::MalformedRequest,
            message: "payload is not JSON".into(),
        };
        assert_eq!(
            serde_json::to_value(&rejected).unwrap(),
            json!({"id": null, "status": "rejected", "reason": "malformed_request", "message": "payload is not JSON"})
        );
    }

    fn maximal_entry() -> HistoryEntry {
        HistoryEntry {
            version: u64::MAX,
            balance: Amount::from_cents(i64::MAX),
            entry: Entry {
                id: Uuid::max(),
                direction: Direction::Out,
                counterparty: AccountId::parse("99999").unwrap(),
                amount: Amount::TRANSFER_MAX,
                // Four bytes is the longest a character gets, in UTF-8 or as a JSON escape.
                memo: Some("𝄞".repeat(crate::MEMO_CHARS_MAX)),
                at: Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap(),
            },
        }
    }

    #[test]
    fn a_full_history_page_of_maximal_entries_fits_in_64_kib() {
        let entry = maximal_entry();
        let page = HistoryResult::Page {
            account: AccountId::parse("00001").unwrap(),
            before_version: Some(u64::MAX),
            entries: vec![entry; crate::HISTORY_LIMIT_MAX as usize],
            next_before_version: Some(u64::MAX),
        };
        let bytes = serde_json::to_vec(&page).unwrap().len();
        assert!(bytes < crate::PAYLOAD_BYTES_MAX, "{bytes} bytes");
    }

    #[test]
    fn history_entries_are_flat() {
        let row = HistoryEntry {
            version: 3,
            balance: Amount::from_cents(100),
            entry: Entry {
                id: Uuid::nil(),
                direction: Direction::In,
                counterparty: AccountId::parse("00004").unwrap(),
                amount: Amount::from_cents(6_586),
                memo: None,
                at: Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap(),
            },
        };
        let value = serde_json::to_value(&row).unwrap();
        assert_eq!(value["version"], 3);
        assert_eq!(value["direction"], "in");
        assert_eq!(value["amount"], "65.86");
        assert_eq!(serde_json::from_value::<HistoryEntry>(value).unwrap(), row);
    }

    fn entry_at(version: u64, cents: i64) -> HistoryEntry {
        let mut entry = maximal_entry();
        entry.entry.memo = None;
        entry.entry.amount = Amount::from_cents(1);
        HistoryEntry { version, balance: Amount::from_cents(cents), ..entry }
    }

    #[test]
    fn a_full_balance_update_of_maximal_entries_fits_in_half_a_device_packet() {
        let account = AccountId::parse("00001").unwrap();
        let entries = (1..=BalanceUpdate::ENTRIES_MAX as u64)
            .map(|version| HistoryEntry { version, ..maximal_entry() })
            .collect();
        let bytes = serde_json::to_vec(&BalanceUpdate::coalesced(account, entries)).unwrap().len();
        assert!(bytes < 128 * 1024, "{bytes} bytes");
    }

    #[test]
    fn format_1_updates_are_still_read_and_format_2_carries_every_change_of_a_batch() {
        let entry = entry_at(7, 500);
        let mut old = serde_json::to_value(&entry.entry).unwrap();
        old.as_object_mut().unwrap().retain(|key, _| !["version", "balance"].contains(&key.as_str()));
        let format_1 = json!({"account": "00001", "balance": "5.00", "version": 7, "entry": old});
        let format_1: BalanceUpdate = serde_json::from_value(format_1).unwrap();
        assert_eq!((format_1.format, format_1.changes()), (1, vec![entry.clone()]));
        let snapshot_1: BalanceUpdate =
            serde_json::from_value(json!({"account": "00001", "balance": "5.00", "version": 7, "entry": null}))
                .unwrap();
        assert!(snapshot_1.changes().is_empty());

        let account = AccountId::parse("00001").unwrap();
        let update = BalanceUpdate::coalesced(account, vec![entry_at(7, 500), entry_at(8, 499), entry_at(9, 498)]);
        let json = serde_json::to_value(&update).unwrap();
        assert_eq!(
            (json["format"].clone(), json["version"].clone(), json["balance"].clone()),
            (json!(2), json!(9), json!("4.98"))
        );
        assert!(json.get("entry").is_none() && json["entries"].as_array().unwrap().len() == 3, "{json}");
        let read: BalanceUpdate = serde_json::from_value(json).unwrap();
        assert_eq!(read.changes().iter().map(|change| change.version).collect::<Vec<_>>(), [7, 8, 9]);
        let snapshot = serde_json::to_value(BalanceUpdate::snapshot(account, Amount::from_cents(498), 9)).unwrap();
        assert_eq!(snapshot, json!({"format": 2, "account": "00001", "balance": "4.98", "version": 9}));
    }

    #[test]
    fn changes_that_do_not_lead_to_the_update_s_version_and_balance_are_not_trusted() {
        let account = AccountId::parse("00001").unwrap();
        let gap = BalanceUpdate::coalesced(account, vec![entry_at(7, 500), entry_at(9, 498)]);
        let mut wrong_end = BalanceUpdate::coalesced(account, vec![entry_at(7, 500), entry_at(8, 499)]);
        wrong_end.version = 10;
        let mut wrong_balance = BalanceUpdate::coalesced(account, vec![entry_at(7, 500)]);
        wrong_balance.balance = Amount::from_cents(1);
        let overflow = BalanceUpdate::coalesced(account, vec![entry_at(u64::MAX, 500), entry_at(0, 500)]);
        let too_many = BalanceUpdate::coalesced(
            account,
            (1..=BalanceUpdate::ENTRIES_MAX as u64 + 1).map(|v| entry_at(v, 1)).collect(),
        );
        for update in [gap, wrong_end, wrong_balance, overflow, too_many] {
            assert!(update.changes().is_empty(), "{update:?}");
        }
    }
}
