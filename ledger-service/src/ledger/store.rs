//! What the engine reads, and the batch of writes it hands back to be committed.

use bank_protocol::{AccountId, Amount, HistoryEntry, Timestamp, TransferResult};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    pub id: AccountId,
    pub balance: Amount,
    /// 0 at the opening balance; +1 for every change.
    pub version: u64,
}

/// A SHA-256 digest of a request's content; equal digests mean "the same transfer".
pub type Fingerprint = [u8; 32];

/// What the ledger remembers of a transfer id, so that every retry gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: Uuid,
    pub payer: AccountId,
    pub fingerprint: Fingerprint,
    pub result: TransferResult,
    pub at: Timestamp,
}

/// One line of the double-entry journal: every accepted transfer writes two,
/// an `out` for the payer and an `in` for the payee, for the same amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalLine {
    pub account: AccountId,
    pub row: HistoryEntry,
}

/// Everything one group commit writes, atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub transfers: Vec<TransferRecord>,
    pub journal: Vec<JournalLine>,
    /// Every account the batch changed, by id.
    pub accounts: Vec<AccountChange>,
}

/// An account's new state, and the version the store must still have for it: a
/// check that nothing else wrote the account since the engine read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountChange {
    pub state: AccountState,
    pub version_before: u64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("ledger database is inconsistent: {0}")]
    Corrupt(String),
}

/// The reads the engine needs. Implementations see their own committed state only.
pub trait LedgerRead {
    fn account(&self, id: AccountId) -> Result<Option<AccountState>, StoreError>;
    fn transfer(&self, id: Uuid) -> Result<Option<TransferRecord>, StoreError>;
}
