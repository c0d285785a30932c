//! The operator's feed of recently applied transfers, kept in memory in the order the
//! ledger applied them and published whole, retained, so a late subscriber sees the
//! recent past and no one has to stitch partial messages together.

use std::collections::VecDeque;

use bank_core::protocol::{AppliedTransfer, Direction, TransferFeed};

use crate::ledger::{Batch, SqliteStore, StoreError};

pub struct Feed {
    newest_first: VecDeque<AppliedTransfer>,
}

impl Feed {
    pub fn load(store: &SqliteStore) -> Result<Feed, StoreError> {
        let newest_first = store.recent_transfers(TransferFeed::LEN_MAX)?.into();
        Ok(Feed { newest_first })
    }

    /// Adds the batch's transfers; returns whether it had any.
    pub fn record(&mut self, batch: &Batch) -> bool {
        let before = self.newest_first.len();
        let payer_lines = batch.journal.iter().filter(|line| line.row.entry.direction == Direction::Out);
        for line in payer_lines {
            let entry = &line.row.entry;
            self.newest_first.push_front(AppliedTransfer {
                id: entry.id,
                from: line.account,
                to: entry.counterparty,
                amount: entry.amount,
                memo: entry.memo.clone(),
                at: entry.at.clone(),
            });
        }
        let added = self.newest_first.len() > before;
        self.newest_first.truncate(TransferFeed::LEN_MAX);
        added
    }

    pub fn json(&self) -> Vec<u8> {
        let feed = TransferFeed { transfers: self.newest_first.iter().cloned().collect() };
        serde_json::to_vec(&feed).expect("the feed always serialises")
    }
}
