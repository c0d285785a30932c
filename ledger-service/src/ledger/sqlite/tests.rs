use serde_json::json;
use tempfile::TempDir;

use super::*;
use crate::ledger::engine::{Submission, apply};

fn id(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

fn demo_accounts() -> Vec<(AccountId, Amount)> {
    vec![(id("00001"), Amount::from_cents(100_000)), (id("00002"), Amount::from_cents(72_614))]
}

fn transfer(store: &mut SqliteStore, transfer_id: Uuid, amount: &str) -> TransferResult {
    let payload = json!({"id": transfer_id, "to": "00002", "amount": amount, "memo": "café"}).to_string().into_bytes();
    let applied = apply(
        store,
        &[Submission { payer: id("00001"), payload }],
        Timestamp::parse("2026-11-24T12:00:00.000Z").unwrap(),
    )
    .unwrap();
    store.commit(&applied.batch).unwrap();
    applied.results[0].1.clone()
}

fn open(dir: &TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("ledger.sqlite3"), &demo_accounts()).unwrap()
}

#[test]
fn committed_batches_survive_reopening_with_their_results() {
    let dir = TempDir::new().unwrap();
    let transfer_id = Uuid::now_v7();
    let result = {
        let mut store = open(&dir);
        transfer(&mut store, transfer_id, "5")
    };
    let mut store = open(&dir);
    let balances: Vec<_> = store.accounts().unwrap().iter().map(|a| (a.balance.to_string(), a.version)).collect();
    assert_eq!(balances, vec![("995.00".to_string(), 1), ("731.14".to_string(), 1)]);
    assert_eq!(store.transfer(transfer_id).unwrap().unwrap().result, result);
    assert_eq!(transfer(&mut store, transfer_id, "5.00"), result, "a retry after restart replays");
    assert_eq!(store.account(id("00001")).unwrap().unwrap().version, 1);
}

#[test]
fn opening_adds_new_accounts_but_never_reopens_old_ones() {
    let dir = TempDir::new().unwrap();
    transfer(&mut open(&dir), Uuid::now_v7(), "5");
    let mut accounts = demo_accounts();
    accounts[0].1 = Amount::from_cents(1);
    accounts.push((id("00003"), Amount::from_cents(250_000)));
    let store = SqliteStore::open(&dir.path().join("ledger.sqlite3"), &accounts).unwrap();
    let balances: Vec<_> = store.accounts().unwrap().iter().map(|a| a.balance.cents()).collect();
    assert_eq!(balances, vec![99_500, 73_114, 250_000]);
}

#[test]
fn history_pages_newest_first() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir);
    for cents in 1..=5 {
        transfer(&mut store, Uuid::now_v7(), &format!("0.0{cents}"));
    }
    let (page, next) = store.history(id("00002"), None, 2).unwrap();
    assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), vec![5, 4]);
    assert_eq!(page[0].entry.amount.to_string(), "0.05");
    assert_eq!(page[0].entry.memo.as_deref(), Some("café"));
    assert_eq!(page[0].balance.to_string(), "726.29");
    assert_eq!(next, Some(4));
    let (page, next) = store.history(id("00002"), Some(4), 10).unwrap();
    assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert_eq!(next, None);
    assert!(store.history(id("00002"), Some(1), 10).unwrap().0.is_empty());
}

#[test]
fn a_tampered_balance_is_detected_on_open() {
    let dir = TempDir::new().unwrap();
    transfer(&mut open(&dir), Uuid::now_v7(), "5");
    let path = dir.path().join("ledger.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE accounts SET balance_cents = balance_cents + 1 WHERE id = '00002'", [])
        .unwrap();
    let error = SqliteStore::open(&path, &demo_accounts()).err().expect("tampering must be caught");
    assert!(error.to_string().contains("account 00002 does not match its journal"), "{error}");
}

#[test]
fn a_stale_version_fails_the_whole_batch() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir);
    let payload = json!({"id": Uuid::now_v7(), "to": "00002", "amount": "1"}).to_string().into_bytes();
    let applied = apply(&store, &[Submission { payer: id("00001"), payload }], Timestamp::now()).unwrap();
    transfer(&mut store, Uuid::now_v7(), "2");
    assert!(store.commit(&applied.batch).is_err(), "the journal already has version 1 of 00001");
    assert_eq!(store.accounts().unwrap()[0].balance.cents(), 99_800, "nothing of the stale batch landed");
}

#[test]
fn an_account_update_from_a_stale_version_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut store = open(&dir);
    let stale = AccountState { id: id("00001"), balance: Amount::from_cents(1), version: 8 };
    let batch = Batch { accounts: vec![AccountChange { state: stale, version_before: 7 }], ..Batch::default() };
    let error = store.commit(&batch).unwrap_err();
    assert!(error.to_string().contains("account 00001 was not at version 7"), "{error}");
    assert_eq!(store.accounts().unwrap()[0].balance.cents(), 100_000);
}

#[test]
fn recent_transfers_are_the_applied_ones_newest_first_after_reopening() {
    let dir = TempDir::new().unwrap();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    {
        let mut store = open(&dir);
        for (n, transfer_id) in ids.iter().enumerate() {
            transfer(&mut store, *transfer_id, &format!("{}.00", n + 1));
        }
        let refused = transfer(&mut store, Uuid::now_v7(), "5000");
        assert!(matches!(refused, TransferResult::Rejected { .. }));
    }
    let recent = open(&dir).recent_transfers(2).unwrap();
    let summary: Vec<_> = recent.iter().map(|t| (t.id, t.from.as_str(), t.to.as_str(), t.amount.to_string())).collect();
    assert_eq!(summary, [(ids[2], "00001", "00002", "3.00".into()), (ids[1], "00001", "00002", "2.00".into())]);
    assert_eq!(recent[0].memo.as_deref(), Some("café"));
}
