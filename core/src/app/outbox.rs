//! Transfers the user has made that the ledger has not answered yet. The session keeps
//! them in a file, and publishes them again after every reconnect until their result
//! arrives; the ledger applies an id once, however often it is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::{AccountId, Amount, TransferRequest};

/// Transfers that may wait at once. A bound on the file and on every republish burst.
pub const OUTBOX_MAX: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransfer {
    pub id: Uuid,
    pub to: AccountId,
    pub amount: Amount,
    pub memo: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl PendingTransfer {
    pub fn request(&self) -> TransferRequest {
        TransferRequest { id: self.id, to: self.to, amount: self.amount, memo: self.memo.clone() }
    }
}

/// Oldest first, which is also the order they are sent in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbox {
    transfers: Vec<PendingTransfer>,
}

impl Outbox {
    pub fn new(transfers: Vec<PendingTransfer>) -> Outbox {
        Outbox { transfers }
    }

    pub fn is_full(&self) -> bool {
        self.transfers.len() >= OUTBOX_MAX
    }

    pub fn push(&mut self, transfer: PendingTransfer) {
        assert!(!self.is_full(), "the model checks the outbox bound ({OUTBOX_MAX}) before it adds a transfer");
        self.transfers.push(transfer);
    }

    pub fn take(&mut self, id: Uuid) -> Option<PendingTransfer> {
        let index = self.transfers.iter().position(|transfer| transfer.id == id)?;
        Some(self.transfers.remove(index))
    }

    pub fn transfers(&self) -> &[PendingTransfer] {
        &self.transfers
    }

    pub fn total(&self) -> Amount {
        let cents = self.transfers.iter().map(|transfer| transfer.amount.cents()).sum();
        Amount::from_cents(cents)
    }
}
