//! The operator's feed of recently applied transfers, kept in memory in the order the
//! ledger applied them and published whole, retained, so a late subscriber sees the
//! recent past and no one has to stitch partial messages together.

use std::collections::VecDeque;

use bank_protocol::{AppliedTransfer, Direction, TransferFeed};

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
                at: entry.at,
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

#[cfg(test)]
mod tests {
    use bank_protocol::{AccountId, Amount, Entry, HistoryEntry};
    use uuid::Uuid;

    use super::*;
    use crate::ledger::store::JournalLine;

    /// A batch of transfers, in the order the engine applied them, both lines of each.
    fn batch(transfers: &[(&str, &str, i64)]) -> Batch {
        let line = |account: &str, direction, counterparty: &str, cents, id| JournalLine {
            account: AccountId::parse(account).unwrap(),
            row: HistoryEntry {
                version: 1,
                balance: Amount::from_cents(0),
                entry: Entry {
                    id,
                    direction,
                    counterparty: AccountId::parse(counterparty).unwrap(),
                    amount: Amount::from_cents(cents),
                    memo: None,
                    at: bank_protocol::Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap(),
                },
            },
        };
        let journal = transfers
            .iter()
            .flat_map(|&(from, to, cents)| {
                let id = Uuid::now_v7();
                [line(from, Direction::Out, to, cents, id), line(to, Direction::In, from, cents, id)]
            })
            .collect();
        Batch { journal, ..Batch::default() }
    }

    fn summary(feed: &Feed) -> Vec<(String, String, i64)> {
        feed.newest_first.iter().map(|t| (t.from.to_string(), t.to.to_string(), t.amount.cents())).collect()
    }

    #[test]
    fn each_transfer_appears_once_newest_first_within_and_across_batches() {
        let mut feed = Feed { newest_first: VecDeque::new() };
        assert!(feed.record(&batch(&[("00001", "00002", 100), ("00003", "00001", 200)])));
        assert!(feed.record(&batch(&[("00002", "00004", 300)])));
        assert!(!feed.record(&Batch::default()), "a batch of rejections changes nothing");
        let expected = [("00002", "00004", 300), ("00003", "00001", 200), ("00001", "00002", 100)];
        let expected: Vec<_> = expected.iter().map(|&(a, b, c)| (a.to_string(), b.to_string(), c)).collect();
        assert_eq!(summary(&feed), expected);
    }

    #[test]
    fn the_feed_keeps_only_the_newest() {
        let mut feed = Feed { newest_first: VecDeque::new() };
        for cents in 1..=TransferFeed::LEN_MAX as i64 + 7 {
            assert!(feed.record(&batch(&[("00001", "00002", cents)])));
        }
        let kept = summary(&feed);
        assert_eq!(kept.len(), TransferFeed::LEN_MAX);
        assert_eq!((kept[0].2, kept[TransferFeed::LEN_MAX - 1].2), (57, 8));
        let json: TransferFeed = serde_json::from_slice(&feed.json()).unwrap();
        assert_eq!(json.transfers.len(), TransferFeed::LEN_MAX);
    }
}
