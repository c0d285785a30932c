//! The pure ledger engine: a batch of raw requests in, a batch of writes and the
//! messages to publish out. It reads through [`LedgerRead`] and writes nothing itself,
//! so the caller commits the [`Batch`] durably before anyone sees a result.

use std::collections::{BTreeMap, HashMap};

use bank_protocol::{
    AccountId, Amount, BadRequest, BalanceUpdate, Direction, Entry, HistoryEntry, Reason, Timestamp, TransferRequest,
    TransferResult, parse_transfer_request,
};
use uuid::Uuid;

use super::fingerprint;
use super::store::{
    AccountChange, AccountState, Batch, Fingerprint, JournalLine, LedgerRead, StoreError, TransferRecord,
};

/// A transfer request as it arrived: the payer from the topic, the payload untouched.
#[derive(Clone, Debug)]
pub struct Submission {
    pub payer: AccountId,
    pub payload: Vec<u8>,
}

/// The outcome of one batch, in submission order.
#[derive(Debug, Default)]
pub struct Applied {
    /// What to commit before anything below is published.
    pub batch: Batch,
    /// One result per submission, for `bank/transfer/result/{payer}`.
    pub results: Vec<(AccountId, TransferResult)>,
    /// For `bank/balanceUpdate/{account}`: one per changed account, by account, carrying
    /// every new version oldest first (several when an account changed more than
    /// [`BalanceUpdate::ENTRIES_MAX`] times).
    pub updates: Vec<BalanceUpdate>,
}

/// Applies `submissions` in order, as one batch stamped with time `at`.
pub fn apply(store: &impl LedgerRead, submissions: &[Submission], at: Timestamp) -> Result<Applied, StoreError> {
    let mut pending =
        Pending { store, at, accounts: HashMap::new(), transfers: HashMap::new(), applied: Applied::default() };
    for submission in submissions {
        let result = pending.submit(submission)?;
        pending.applied.results.push((submission.payer, result));
    }
    Ok(pending.finish())
}

/// An account as this batch has it, and as it was before the batch.
struct Touched {
    state: AccountState,
    before: AccountState,
}

/// State of a batch being built: reads see the store plus the batch's own writes.
struct Pending<'a, S> {
    store: &'a S,
    at: Timestamp,
    /// Accounts touched so far.
    accounts: HashMap<AccountId, Touched>,
    transfers: HashMap<Uuid, TransferRecord>,
    applied: Applied,
}

impl<S: LedgerRead> Pending<'_, S> {
    fn submit(&mut self, submission: &Submission) -> Result<TransferResult, StoreError> {
        let payer = submission.payer;
        let parsed = parse_transfer_request(payer, &submission.payload);
        let (id, fingerprint) = match &parsed {
            Ok(request) => (request.id, fingerprint::of_request(payer, request)),
            Err(BadRequest { id: Some(id), .. }) => (*id, fingerprint::of_raw(payer, &submission.payload)),
            Err(bad) => return Ok(rejected(None, bad.reason, bad.message.clone())),
        };
        if let Some(record) = self.transfer(id)? {
            return Ok(replay(&record, fingerprint));
        }
        let result = match parsed {
            Ok(request) => self.transfer_money(payer, &request)?,
            Err(bad) => rejected(Some(id), bad.reason, bad.message),
        };
        let record = TransferRecord { id, payer, fingerprint, result: result.clone(), at: self.at };
        self.transfers.insert(id, record.clone());
        self.applied.batch.transfers.push(record);
        Ok(result)
    }

    fn transfer_money(&mut self, payer: AccountId, request: &TransferRequest) -> Result<TransferResult, StoreError> {
        let reject = |reason, message: String| Ok(rejected(Some(request.id), reason, message));
        let Some(from) = self.account(payer)? else {
            return reject(Reason::UnknownAccount, format!("your account {payer} does not exist in this ledger"));
        };
        let Some(to) = self.account(request.to)? else {
            let message = format!("account {} does not exist; check the payee's account number", request.to);
            return reject(Reason::UnknownAccount, message);
        };
        let Some(from_balance) = from.balance.checked_sub(request.amount).filter(|balance| *balance >= Amount::ZERO)
        else {
            let message = format!("balance is {}, which is less than {}", from.balance, request.amount);
            return reject(Reason::InsufficientFunds, message);
        };
        // The total of all balances is fixed and fits in i64, so a payee balance cannot overflow.
        let to_balance = to.balance.checked_add(request.amount).expect("balances are bounded by the fixed total");
        let from = self.post(from, from_balance, Direction::Out, request.to, request);
        self.post(to, to_balance, Direction::In, payer, request);
        Ok(TransferResult::Accepted { id: request.id, balance: from.balance, version: from.version })
    }

    /// Moves `account` to `balance` as its next version, with the journal line and update that go with it.
    fn post(
        &mut self,
        account: AccountState,
        balance: Amount,
        direction: Direction,
        counterparty: AccountId,
        request: &TransferRequest,
    ) -> AccountState {
        let next = AccountState { id: account.id, balance, version: account.version + 1 };
        let entry = Entry {
            id: request.id,
            direction,
            counterparty,
            amount: request.amount,
            memo: request.memo.clone(),
            at: self.at,
        };
        let row = HistoryEntry { version: next.version, balance, entry };
        self.applied.batch.journal.push(JournalLine { account: account.id, row });
        self.accounts.get_mut(&account.id).expect("posted accounts were read first").state = next;
        next
    }

    fn account(&mut self, id: AccountId) -> Result<Option<AccountState>, StoreError> {
        if let Some(touched) = self.accounts.get(&id) {
            return Ok(Some(touched.state));
        }
        let state = self.store.account(id)?;
        if let Some(state) = state {
            self.accounts.insert(id, Touched { state, before: state });
        }
        Ok(state)
    }

    fn transfer(&self, id: Uuid) -> Result<Option<TransferRecord>, StoreError> {
        match self.transfers.get(&id) {
            Some(record) => Ok(Some(record.clone())),
            None => self.store.transfer(id),
        }
    }

    fn finish(mut self) -> Applied {
        let mut delta_cents: i64 = 0;
        for Touched { state, before } in self.accounts.into_values() {
            delta_cents += state.balance.cents() - before.balance.cents();
            assert!(state.balance >= Amount::ZERO, "account {} would be overdrawn", state.id);
            if state.version != before.version {
                self.applied.batch.accounts.push(AccountChange { state, version_before: before.version });
            }
        }
        assert_eq!(delta_cents, 0, "a batch must conserve the total of all balances");
        self.applied.batch.accounts.sort_by_key(|change| change.state.id);
        self.applied.updates = coalesce(&self.applied.batch.journal);
        self.applied
    }
}

/// The journal's lines as balance updates: per account, in the order they were posted.
fn coalesce(journal: &[JournalLine]) -> Vec<BalanceUpdate> {
    let mut by_account: BTreeMap<AccountId, Vec<HistoryEntry>> = BTreeMap::new();
    for line in journal {
        by_account.entry(line.account).or_default().push(line.row.clone());
    }
    let mut updates = Vec::with_capacity(by_account.len());
    for (account, entries) in by_account {
        for chunk in entries.chunks(BalanceUpdate::ENTRIES_MAX) {
            updates.push(BalanceUpdate::coalesced(account, chunk.to_vec()));
        }
    }
    updates
}

/// The answer to a retry: the stored result if the content matches, `id_conflict` if not.
fn replay(record: &TransferRecord, fingerprint: Fingerprint) -> TransferResult {
    if record.fingerprint == fingerprint {
        return record.result.clone();
    }
    let message = format!("transfer id {} was already used for a different transfer; send a new id", record.id);
    rejected(Some(record.id), Reason::IdConflict, message)
}

fn rejected(id: Option<Uuid>, reason: Reason, message: String) -> TransferResult {
    TransferResult::Rejected { id, reason, message }
}

#[cfg(test)]
mod tests;
