//! The smallest store that honours the engine's contract, in memory: committed state only,
//! like the SQLite store, with `commit`'s preconditions asserted. The engine's tests and
//! its fuzz target run on it, with no disk.

use std::collections::HashMap;

use bank_protocol::{AccountId, Amount};
use uuid::Uuid;

use super::store::{AccountChange, AccountState, Batch, LedgerRead, StoreError, TransferRecord};

#[derive(Default)]
pub struct MemoryStore {
    accounts: HashMap<AccountId, AccountState>,
    transfers: HashMap<Uuid, TransferRecord>,
}

impl MemoryStore {
    /// Accounts at their opening balances, version 0.
    pub fn open(opening: impl IntoIterator<Item = (AccountId, Amount)>) -> MemoryStore {
        let accounts = opening.into_iter().map(|(id, balance)| (id, AccountState { id, balance, version: 0 }));
        MemoryStore { accounts: accounts.collect(), transfers: HashMap::new() }
    }

    /// What `SqliteStore::commit` does: a transfer id is written once, and an account
    /// only over the version the batch read.
    pub fn commit(&mut self, batch: &Batch) {
        for record in &batch.transfers {
            assert!(self.transfers.insert(record.id, record.clone()).is_none(), "transfer {} written twice", record.id);
        }
        for AccountChange { state, version_before } in &batch.accounts {
            let before = self.accounts[&state.id];
            assert_eq!(before.version, *version_before, "{}: version moved under the batch", state.id);
            assert!(state.version > before.version);
            self.accounts.insert(state.id, *state);
        }
    }

    pub fn accounts(&self) -> impl Iterator<Item = &AccountState> {
        self.accounts.values()
    }

    pub fn total_cents(&self) -> i64 {
        self.accounts.values().map(|state| state.balance.cents()).sum()
    }
}

impl LedgerRead for MemoryStore {
    fn account(&self, id: AccountId) -> Result<Option<AccountState>, StoreError> {
        Ok(self.accounts.get(&id).copied())
    }

    fn transfer(&self, id: Uuid) -> Result<Option<TransferRecord>, StoreError> {
        Ok(self.transfers.get(&id).cloned())
    }
}
