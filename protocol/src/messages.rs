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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceUpdate {
    pub account: AccountId,
    pub balance: Amount,
    pub version: u64,
    /// The change that produced this version; `None` in a snapshot.
    pub entry: Option<Entry>,
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

    #[test]
    fn a_full_history_page_of_maximal_entries_fits_in_64_kib() {
        let entry = HistoryEntry {
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
        };
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
}
