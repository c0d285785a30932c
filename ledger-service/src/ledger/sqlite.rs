//! The durable store: one SQLite file in WAL mode with `synchronous=FULL`, so a
//! committed batch survives `kill -9` and power loss. One transaction per batch.

use std::path::Path;

use bank_protocol::{AccountId, Amount, AppliedTransfer, Direction, Entry, HistoryEntry, Timestamp, TransferResult};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::store::{AccountChange, AccountState, Batch, LedgerRead, StoreError, TransferRecord};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id            TEXT PRIMARY KEY CHECK (length(id) = 5),
    opening_cents INTEGER NOT NULL CHECK (opening_cents >= 0),
    balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
    version       INTEGER NOT NULL CHECK (version >= 0)
) STRICT;
-- Every transfer id ever decided, accepted or rejected, with the exact result sent.
CREATE TABLE IF NOT EXISTS transfers (
    id          TEXT PRIMARY KEY,
    payer       TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    result      TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
-- The double-entry journal: two lines per accepted transfer, one per account version.
CREATE TABLE IF NOT EXISTS journal (
    account       TEXT NOT NULL REFERENCES accounts(id),
    version       INTEGER NOT NULL,
    transfer_id   TEXT NOT NULL REFERENCES transfers(id),
    direction     TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    counterparty  TEXT NOT NULL REFERENCES accounts(id),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
    memo          TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (account, version)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS journal_by_transfer ON journal (transfer_id);
";

pub struct SqliteStore {
    connection: Connection,
}

impl SqliteStore {
    /// Opens (or creates) the ledger, adds any of `accounts` it lacks, and checks every invariant.
    pub fn open(path: &Path, accounts: &[(AccountId, Amount)]) -> Result<SqliteStore, StoreError> {
        let connection = Connection::open(path)?;
        let journal_mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!("SQLite refused WAL mode (got {journal_mode})")));
        }
        connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        connection.execute_batch(SCHEMA)?;
        let mut store = SqliteStore { connection };
        store.add_missing_accounts(accounts)?;
        store.verify()?;
        Ok(store)
    }

    /// Writes one batch atomically. Returns only once the transaction is durable.
    pub fn commit(&mut self, batch: &Batch) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert_transfer = transaction.prepare_cached(
                "INSERT INTO transfers (id, payer, fingerprint, result, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for record in &batch.transfers {
                let result = serde_json::to_string(&record.result).expect("results always serialise");
                insert_transfer.execute(params![
                    record.id.to_string(),
                    record.payer.as_str(),
                    &record.fingerprint[..],
                    result,
                    record.at.to_string()
                ])?;
            }
            let mut insert_line = transaction.prepare_cached(
                "INSERT INTO journal (account, version, transfer_id, direction, counterparty, amount_cents, balance_cents, memo, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for line in &batch.journal {
                let (row, entry) = (&line.row, &line.row.entry);
                insert_line.execute(params![
                    line.account.as_str(),
                    row.version,
                    entry.id.to_string(),
                    direction_text(entry.direction),
                    entry.counterparty.as_str(),
                    entry.amount.cents(),
                    row.balance.cents(),
                    entry.memo,
                    entry.at.to_string(),
                ])?;
            }
            let mut update_account = transaction.prepare_cached(
                "UPDATE accounts SET balance_cents = ?1, version = ?2 WHERE id = ?3 AND version = ?4",
            )?;
            for AccountChange { state, version_before } in &batch.accounts {
                let changed = update_account.execute(params![
                    state.balance.cents(),
                    state.version,
                    state.id.as_str(),
                    version_before
                ])?;
                if changed != 1 {
                    return Err(StoreError::Corrupt(format!(
                        "account {} was not at version {version_before}",
                        state.id
                    )));
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<AccountState>, StoreError> {
        let mut statement =
            self.connection.prepare_cached("SELECT id, balance_cents, version FROM accounts ORDER BY id")?;
        let rows = statement.query_map([], account_state)?;
        rows.map(|row| row?).collect()
    }

    /// Up to `limit` entries of `account` older than `before_version`, newest first,
    /// and the `before_version` of the next page if there is one.
    pub fn history(
        &self,
        account: AccountId,
        before_version: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<HistoryEntry>, Option<u64>), StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT version, balance_cents, transfer_id, direction, counterparty, amount_cents, memo, at
             FROM journal WHERE account = ?1 AND version < ?2 ORDER BY version DESC LIMIT ?3",
        )?;
        let before = before_version.unwrap_or(u64::MAX).min(i64::MAX as u64);
        let rows = statement.query_map(params![account.as_str(), before, limit + 1], history_entry)?;
        let mut entries = rows.map(|row| row?).collect::<Result<Vec<_>, _>>()?;
        let next = (entries.len() > limit as usize).then(|| {
            entries.truncate(limit as usize);
            entries.last().map_or(0, |entry| entry.version)
        });
        Ok((entries, next))
    }

    /// The newest `limit` applied transfers, newest first. Transfers applied in the same
    /// batch share a time; among them the order is by id.
    pub fn recent_transfers(&self, limit: usize) -> Result<Vec<AppliedTransfer>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT transfer_id, account, counterparty, amount_cents, memo, at FROM journal
             WHERE direction = 'out' ORDER BY at DESC, transfer_id DESC LIMIT ?1",
        )?;
        let rows = statement.query_map(params![limit as i64], applied_transfer)?;
        rows.map(|row| row?).collect()
    }

    fn add_missing_accounts(&mut self, accounts: &[(AccountId, Amount)]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert = transaction.prepare(
                "INSERT OR IGNORE INTO accounts (id, opening_cents, balance_cents, version) VALUES (?1, ?2, ?2, 0)",
            )?;
            for (id, opening) in accounts {
                if insert.execute(params![id.as_str(), opening.cents()])? == 1 {
                    tracing::info!(account = %id, opening = %opening, "opened account");
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Checks the double-entry invariants; a failure means the file was altered or damaged.
    fn verify(&self) -> Result<(), StoreError> {
        let unbalanced_account: Option<String> = self
            .connection
            .query_row(
                "SELECT a.id FROM accounts a LEFT JOIN (
                    SELECT account, COUNT(*) AS lines, MAX(version) AS newest,
                           SUM(CASE direction WHEN 'in' THEN amount_cents ELSE -amount_cents END) AS net
                    FROM journal GROUP BY account) j ON j.account = a.id
                 WHERE a.balance_cents != a.opening_cents + COALESCE(j.net, 0)
                    OR a.version != COALESCE(j.lines, 0) OR a.version != COALESCE(j.newest, 0)
                 LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(id) = unbalanced_account {
            return Err(StoreError::Corrupt(format!("account {id} does not match its journal")));
        }
        let one_sided_transfer: Option<String> = self
            .connection
            .query_row(
                "SELECT transfer_id FROM journal GROUP BY transfer_id
                 HAVING COUNT(*) != 2 OR SUM(direction = 'in') != 1
                     OR SUM(CASE direction WHEN 'in' THEN amount_cents ELSE -amount_cents END) != 0
                 LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        match one_sided_transfer {
            Some(id) => Err(StoreError::Corrupt(format!("transfer {id} is not one debit and one equal credit"))),
            None => Ok(()),
        }
    }
}

impl LedgerRead for SqliteStore {
    fn account(&self, id: AccountId) -> Result<Option<AccountState>, StoreError> {
        let mut statement =
            self.connection.prepare_cached("SELECT id, balance_cents, version FROM accounts WHERE id = ?1")?;
        statement.query_row([id.as_str()], account_state).optional()?.transpose()
    }

    fn transfer(&self, id: Uuid) -> Result<Option<TransferRecord>, StoreError> {
        let mut statement =
            self.connection.prepare_cached("SELECT payer, fingerprint, result, at FROM transfers WHERE id = ?1")?;
        let row = statement
            .query_row([id.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .optional()?;
        let Some((payer, fingerprint, result, at)) = row else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt(format!("transfer {id} has an unreadable record"));
        Ok(Some(TransferRecord {
            id,
            payer: AccountId::parse(&payer).ok_or_else(corrupt)?,
            fingerprint: fingerprint.try_into().map_err(|_| corrupt())?,
            result: serde_json::from_str::<TransferResult>(&result).map_err(|_| corrupt())?,
            at: timestamp(&at)?,
        }))
    }
}

fn direction_text(direction: Direction) -> &'static str {
    match direction {
        Direction::In => "in",
        Direction::Out => "out",
    }
}

fn account_id(text: &str) -> Result<AccountId, StoreError> {
    AccountId::parse(text).ok_or_else(|| StoreError::Corrupt(format!("{text:?} is not an account id")))
}

fn account_state(row: &Row<'_>) -> rusqlite::Result<Result<AccountState, StoreError>> {
    let id: String = row.get(0)?;
    let (balance, version): (i64, u64) = (row.get(1)?, row.get(2)?);
    Ok(account_id(&id).map(|id| AccountState { id, balance: Amount::from_cents(balance), version }))
}

fn applied_transfer(row: &Row<'_>) -> rusqlite::Result<Result<AppliedTransfer, StoreError>> {
    let (id, from, to): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let (amount, memo, at): (i64, Option<String>, String) = (row.get(3)?, row.get(4)?, row.get(5)?);
    let build = || -> Result<AppliedTransfer, StoreError> {
        let id = Uuid::parse_str(&id)
            .map_err(|_| StoreError::Corrupt(format!("journal line for transfer {id} is unreadable")))?;
        Ok(AppliedTransfer {
            id,
            from: account_id(&from)?,
            to: account_id(&to)?,
            amount: Amount::from_cents(amount),
            memo,
            at: timestamp(&at)?,
        })
    };
    Ok(build())
}

fn history_entry(row: &Row<'_>) -> rusqlite::Result<Result<HistoryEntry, StoreError>> {
    let (version, balance): (u64, i64) = (row.get(0)?, row.get(1)?);
    let (transfer_id, direction, counterparty): (String, String, String) = (row.get(2)?, row.get(3)?, row.get(4)?);
    let (amount, memo, at): (i64, Option<String>, String) = (row.get(5)?, row.get(6)?, row.get(7)?);
    let build = || -> Result<HistoryEntry, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("journal line for transfer {transfer_id} is unreadable"));
        let entry = Entry {
            id: Uuid::parse_str(&transfer_id).map_err(|_| corrupt())?,
            direction: if direction == "in" { Direction::In } else { Direction::Out },
            counterparty: account_id(&counterparty)?,
            amount: Amount::from_cents(amount),
            memo,
            at: timestamp(&at)?,
        };
        Ok(HistoryEntry { version, balance: Amount::from_cents(balance), entry })
    };
    Ok(build())
}

#[cfg(test)]
mod tests;

fn timestamp(text: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(text).ok_or_else(|| StoreError::Corrupt(format!("journal time {text:?} is not an RFC 3339 time")))
}
