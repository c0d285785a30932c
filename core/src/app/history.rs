//! The account's history as this device knows it: ledger entries by version, loaded a
//! page at a time and kept contiguous from the newest down, plus recent rejections.

use std::collections::{BTreeMap, VecDeque};

use crate::protocol::{HISTORY_LIMIT_MAX, HistoryEntry, HistoryRequest};

use super::outbox::PendingTransfer;

/// Entries kept in memory; older ones are dropped and can be loaded again.
const ENTRIES_MAX: usize = 1000;
/// Rejections are not in the ledger's history, so only the latest few are shown.
const REJECTED_MAX: usize = 20;

#[derive(Clone, Debug, Default)]
pub struct History {
    /// Confirmed entries by version. Invariant: versions are contiguous, except that while
    /// the newest page is awaited, entries seen live may sit above the gap it will fill.
    entries: BTreeMap<u64, HistoryEntry>,
    rejected: VecDeque<Rejected>,
    /// The `before_version` of the next older page; `None` once the oldest is loaded.
    older: Option<u64>,
    /// The page asked for and not yet received: `Some(None)` is the newest page.
    awaiting: Option<Option<u64>>,
    /// The balance version known when the newest page was asked for, which its answer must
    /// reach. A lower newest page answers an earlier request that went out twice (it is
    /// sent again after every reconnect), and must not be taken for the answer.
    newest_needed: u64,
    /// Whether any page has arrived, so `older == None` means "no more".
    loaded: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub transfer: PendingTransfer,
    pub reason: String,
}

/// A row to show: a confirmed entry or a rejected transfer, newest first.
pub enum Row<'a> {
    Done(&'a HistoryEntry),
    Rejected(&'a Rejected),
}

impl History {
    /// Asks for the newest page, which must reach `version`, the balance's now.
    pub fn request_newest(&mut self, version: u64) -> Option<HistoryRequest> {
        if self.awaiting == Some(None) {
            return None;
        }
        self.awaiting = Some(None);
        self.newest_needed = version;
        Some(HistoryRequest { limit: HISTORY_LIMIT_MAX, before_version: None })
    }

    pub fn request_older(&mut self) -> Option<HistoryRequest> {
        if !self.can_load_more() || self.awaiting.is_some() {
            return None;
        }
        let before_version = Some(self.older?);
        self.awaiting = Some(before_version);
        Some(HistoryRequest { limit: HISTORY_LIMIT_MAX, before_version })
    }

    /// The request to send again after a reconnect, since its answer may be lost.
    pub fn awaiting(&self) -> Option<HistoryRequest> {
        self.awaiting.map(|before_version| HistoryRequest { limit: HISTORY_LIMIT_MAX, before_version })
    }

    pub fn is_loading(&self) -> bool {
        self.awaiting.is_some()
    }

    /// Older pages exist and there is room for them: past [`ENTRIES_MAX`] the oldest
    /// would be dropped as soon as they arrived.
    pub fn can_load_more(&self) -> bool {
        self.loaded && self.older.is_some() && self.entries.len() < ENTRIES_MAX
    }

    /// Adds an entry seen live. The caller has checked it is the next version of the
    /// balance; it is kept only if it also extends the loaded entries. After a version jump
    /// they end lower, and the newest page (asked for on the jump) fills the gap instead.
    pub fn push_live(&mut self, entry: HistoryEntry) {
        let extends =
            self.entries.last_key_value().is_none_or(|(newest, _)| newest.checked_add(1) == Some(entry.version));
        if extends {
            self.entries.insert(entry.version, entry);
            self.trim();
        }
    }

    /// Merges the page this device asked for. Returns `false` for any other page (another
    /// device of the account asked for it, or an answer older than the request), which
    /// changes nothing.
    pub fn on_page(&mut self, before: Option<u64>, page: Vec<HistoryEntry>, next: Option<u64>) -> bool {
        let newest = page.iter().map(|entry| entry.version).max().unwrap_or(0);
        if self.awaiting != Some(before) || (before.is_none() && newest < self.newest_needed) {
            return false;
        }
        self.awaiting = None;
        self.loaded = true;
        let lowest = page.iter().map(|entry| entry.version).min();
        let joins_loaded =
            lowest.and_then(|lowest| lowest.checked_sub(1)).is_some_and(|below| self.entries.contains_key(&below));
        if before.is_some() || !joins_loaded {
            // A newest page that does not reach what is loaded leaves a hole: start over below it.
            if let Some(lowest) = lowest.filter(|_| before.is_none()) {
                self.entries = self.entries.split_off(&lowest);
            }
            self.older = next;
        }
        self.entries.extend(page.into_iter().map(|entry| (entry.version, entry)));
        self.trim();
        true
    }

    /// Whether the entries run without a hole up to `version`, the balance's.
    pub fn reaches(&self, version: u64) -> bool {
        let (Some(&first), Some(&last)) = (self.entries.keys().next(), self.entries.keys().next_back()) else {
            return version == 0;
        };
        // Checked: a forged page may hold versions 0 and u64::MAX.
        last >= version && (last - first).checked_add(1) == Some(self.entries.len() as u64)
    }

    /// Forgets the outstanding request, for example when its answer was refused.
    pub fn cancel_request(&mut self) {
        self.awaiting = None;
    }

    pub fn reject(&mut self, transfer: PendingTransfer, reason: String) {
        if self.rejected.len() == REJECTED_MAX {
            self.rejected.pop_front();
        }
        self.rejected.push_back(Rejected { transfer, reason });
    }

    /// Confirmed entries and rejections, merged newest first by time.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut done = self.entries.values().rev().peekable();
        let mut rejected = self.rejected.iter().rev().peekable();
        let mut rows = Vec::with_capacity(self.entries.len() + self.rejected.len());
        loop {
            let take_rejected = match (done.peek(), rejected.peek()) {
                (None, None) => return rows,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(entry), Some(rejection)) => entry.entry.at.utc() < rejection.transfer.created_at,
            };
            let row = if take_rejected { rejected.next().map(Row::Rejected) } else { done.next().map(Row::Done) };
            rows.extend(row);
        }
    }

    fn trim(&mut self) {
        while self.entries.len() > ENTRIES_MAX {
            if let Some((version, _)) = self.entries.pop_first() {
                self.older = Some(version + 1);
            }
        }
    }
}
