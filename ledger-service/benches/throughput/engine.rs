//! The engine alone: transfers applied by the pure engine and committed to a SQLite file
//! (WAL, `synchronous = FULL`, so one fsync per batch), batches of 256 as the ledger's
//! group commit makes them, and no MQTT.

use std::time::{Duration, Instant};

use bank_protocol::{AccountId, Amount, Timestamp};
use ledger_service::ledger::SqliteStore;
use ledger_service::ledger::engine::{self, Submission};
use uuid::Uuid;

const BATCH: usize = 256;
const TRANSFERS_MAX: usize = 200_000;
const RUN_MAX: Duration = Duration::from_secs(10);

pub fn transfers_per_s() -> f64 {
    let dir = tempfile::TempDir::new().unwrap();
    let accounts: Vec<(AccountId, Amount)> = ["00001", "00002", "00003", "00004", "00005"]
        .iter()
        .map(|id| (AccountId::parse(id).unwrap(), Amount::from_cents(1_000_000_000)))
        .collect();
    let mut store = SqliteStore::open(&dir.path().join("engine.sqlite3"), &accounts).unwrap();
    let batches: Vec<Vec<Submission>> = (0..TRANSFERS_MAX / BATCH)
        .map(|_| {
            (0..BATCH)
                .map(|i| Submission {
                    payer: accounts[i % 4].0,
                    payload: crate::load::request(Uuid::now_v7(), "00005"),
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut transfers = 0;
    for submissions in &batches {
        let applied = engine::apply(&store, submissions, Timestamp::now()).unwrap();
        store.commit(&applied.batch).unwrap();
        transfers += submissions.len();
        if started.elapsed() > RUN_MAX {
            break;
        }
    }
    transfers as f64 / started.elapsed().as_secs_f64()
}
