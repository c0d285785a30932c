use serde_json::json;

use super::*;
use crate::ledger::memory::MemoryStore;

fn at() -> Timestamp {
    Timestamp::parse("2026-11-24T12:00:00.000Z").unwrap()
}

fn demo() -> MemoryStore {
    MemoryStore::open(
        [("00001", 100_000), ("00002", 72_614), ("00005", 0)]
            .map(|(id, cents)| (account(id), Amount::from_cents(cents))),
    )
}

/// Applies and commits, as the worker does.
fn run(store: &mut MemoryStore, submissions: &[Submission]) -> Applied {
    let applied = apply(store, submissions, at()).unwrap();
    store.commit(&applied.batch);
    applied
}

fn balance(store: &MemoryStore, id: &str) -> (i64, u64) {
    let state = store.account(account(id)).unwrap().unwrap();
    (state.balance.cents(), state.version)
}

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn submit(payer: &str, payload: serde_json::Value) -> Submission {
    Submission { payer: account(payer), payload: payload.to_string().into_bytes() }
}

fn transfer(payer: &str, id: Uuid, to: &str, amount: &str) -> Submission {
    submit(payer, json!({"id": id, "to": to, "amount": amount, "memo": "lunch"}))
}

fn reason(result: &TransferResult) -> Option<Reason> {
    match result {
        TransferResult::Rejected { reason, .. } => Some(*reason),
        TransferResult::Accepted { .. } => None,
    }
}

#[test]
fn accepted_transfer_posts_two_journal_lines_and_two_updates() {
    let mut store = demo();
    let id = Uuid::now_v7();
    let applied = run(&mut store, &[transfer("00001", id, "00002", "5")]);

    assert_eq!(
        applied.results,
        vec![(account("00001"), TransferResult::Accepted { id, balance: Amount::from_cents(99_500), version: 1 })]
    );
    assert_eq!(balance(&store, "00001"), (99_500, 1));
    assert_eq!(balance(&store, "00002"), (73_114, 1));
    let lines: Vec<_> = applied
        .batch
        .journal
        .iter()
        .map(|line| (line.account, line.row.entry.direction, line.row.entry.amount.cents()))
        .collect();
    assert_eq!(lines, vec![(account("00001"), Direction::Out, 500), (account("00002"), Direction::In, 500)]);
    let updates: Vec<_> =
        applied.updates.iter().map(|u| (u.account.to_string(), u.balance.to_string(), u.version)).collect();
    assert_eq!(updates, vec![("00001".into(), "995.00".into(), 1), ("00002".into(), "731.14".into(), 1)]);
    assert_eq!(applied.updates[0].entries[0].entry.memo.as_deref(), Some("lunch"));
}

#[test]
fn duplicates_replay_the_stored_result_within_and_across_batches() {
    let mut store = demo();
    let id = Uuid::now_v7();
    let first = run(&mut store, &[transfer("00001", id, "00002", "5"), transfer("00001", id, "00002", "5.00")]);
    assert_eq!(first.results[0], first.results[1], "same content, differently spelt amount");
    let later = run(&mut store, &[transfer("00001", id, "00002", "5.0")]);
    assert_eq!(later.results[0], first.results[0]);
    assert!(later.updates.is_empty() && later.batch.is_empty(), "nothing is applied twice");
    assert_eq!(balance(&store, "00001"), (99_500, 1));
}

#[test]
fn same_id_with_other_content_is_an_id_conflict() {
    let mut store = demo();
    let id = Uuid::now_v7();
    run(&mut store, &[transfer("00001", id, "00002", "5")]);
    for other in
        [transfer("00001", id, "00002", "6"), transfer("00001", id, "00005", "5"), transfer("00002", id, "00001", "5")]
    {
        let applied = run(&mut store, &[other]);
        assert_eq!(reason(&applied.results[0].1), Some(Reason::IdConflict));
        assert!(applied.batch.is_empty());
    }
    assert_eq!(balance(&store, "00001"), (99_500, 1));
}

#[test]
fn a_rejected_id_stays_rejected_even_after_funds_arrive() {
    let mut store = demo();
    let id = Uuid::now_v7();
    let first = run(&mut store, &[transfer("00005", id, "00001", "10")]);
    assert_eq!(reason(&first.results[0].1), Some(Reason::InsufficientFunds));
    run(&mut store, &[transfer("00001", Uuid::now_v7(), "00005", "50")]);
    let retry = run(&mut store, &[transfer("00005", id, "00001", "10")]);
    assert_eq!(retry.results, first.results);
    assert_eq!(balance(&store, "00005"), (5_000, 1));
}

#[test]
fn refused_requests_with_a_readable_id_are_remembered() {
    let mut store = demo();
    let id = Uuid::now_v7();
    let bad = run(&mut store, &[transfer("00001", id, "00002", "1.001")]);
    assert_eq!(reason(&bad.results[0].1), Some(Reason::InvalidAmount));
    assert_eq!(run(&mut store, &[transfer("00001", id, "00002", "1.001")]).results, bad.results);
    let corrected = run(&mut store, &[transfer("00001", id, "00002", "1.00")]);
    assert_eq!(reason(&corrected.results[0].1), Some(Reason::IdConflict), "an id is never reused");
}

#[test]
fn every_rejection_leaves_balances_alone() {
    let mut store = demo();
    let cases = [
        (submit("00001", json!("junk")), Reason::MalformedRequest),
        (submit("00001", json!({"to": "00002", "amount": "5"})), Reason::MalformedRequest),
        (transfer("00001", Uuid::now_v7(), "00009", "5"), Reason::UnknownAccount),
        (transfer("00001", Uuid::now_v7(), "00001", "5"), Reason::SameAccount),
        (transfer("00001", Uuid::now_v7(), "00002", "0"), Reason::InvalidAmount),
        (transfer("00001", Uuid::now_v7(), "00002", "1000.01"), Reason::InsufficientFunds),
        (transfer("00009", Uuid::now_v7(), "00001", "5"), Reason::UnknownAccount),
    ];
    for (submission, expected) in cases {
        let applied = run(&mut store, &[submission]);
        assert_eq!(reason(&applied.results[0].1), Some(expected));
        assert!(applied.updates.is_empty());
    }
    assert_eq!(balance(&store, "00001"), (100_000, 0));
    let unreadable = run(&mut store, &[submit("00001", json!({"id": 7}))]);
    assert_eq!(unreadable.results[0].1.id(), None);
    assert!(unreadable.batch.is_empty(), "nothing to remember without an id");
}

#[test]
fn versions_rise_by_one_per_change_within_a_batch_in_one_update_per_account() {
    let mut store = demo();
    let batch: Vec<_> = (0..3).map(|_| transfer("00001", Uuid::now_v7(), "00002", "1")).collect();
    let applied = run(&mut store, &batch);
    let updates: Vec<_> = applied.updates.iter().filter(|u| u.account == account("00002")).collect();
    assert_eq!(updates.len(), 1, "one update carries the batch's changes");
    let versions: Vec<_> = updates[0].changes().iter().map(|change| (change.version, change.balance.cents())).collect();
    assert_eq!(versions, vec![(1, 72_714), (2, 72_814), (3, 72_914)]);
    assert_eq!((updates[0].version, updates[0].balance.cents()), (3, 72_914));
    assert_eq!(balance(&store, "00001"), (99_700, 3));
    assert_eq!(applied.batch.accounts.len(), 2, "one final state per account");
}

#[test]
fn spending_within_a_batch_sees_earlier_transfers() {
    let mut store = demo();
    let applied = run(
        &mut store,
        &[
            transfer("00005", Uuid::now_v7(), "00001", "1"),
            transfer("00001", Uuid::now_v7(), "00005", "2"),
            transfer("00005", Uuid::now_v7(), "00001", "2"),
            transfer("00005", Uuid::now_v7(), "00001", "0.01"),
        ],
    );
    let reasons: Vec<_> = applied.results.iter().map(|(_, result)| reason(result)).collect();
    assert_eq!(reasons, vec![Some(Reason::InsufficientFunds), None, None, Some(Reason::InsufficientFunds)]);
    assert_eq!(balance(&store, "00005"), (0, 2));
}

#[test]
fn random_traffic_conserves_the_total_and_never_overdraws() {
    let mut store = demo();
    let total = store.total_cents();
    let ids = ["00001", "00002", "00005", "00009"];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for _ in 0..200 {
        let batch: Vec<_> = (0..1 + next(20))
            .map(|_| {
                let amount = format!("{}.{:02}", next(700), next(100));
                transfer(ids[next(3) as usize], Uuid::now_v7(), ids[next(4) as usize], &amount)
            })
            .collect();
        run(&mut store, &batch);
        assert_eq!(store.total_cents(), total);
        assert!(store.accounts().all(|state| state.balance >= Amount::ZERO));
    }
}

#[test]
fn an_account_changed_more_than_an_update_holds_gets_consecutive_updates() {
    let mut store = demo();
    let count = BalanceUpdate::ENTRIES_MAX + 3;
    let batch: Vec<_> = (0..count).map(|_| transfer("00001", Uuid::now_v7(), "00002", "0.01")).collect();
    let applied = run(&mut store, &batch);
    let payee: Vec<_> = applied.updates.iter().filter(|u| u.account == account("00002")).collect();
    let spans: Vec<_> =
        payee.iter().map(|u| (u.changes().first().unwrap().version, u.version, u.changes().len())).collect();
    let full = BalanceUpdate::ENTRIES_MAX as u64;
    assert_eq!(spans, vec![(1, full, BalanceUpdate::ENTRIES_MAX), (full + 1, full + 3, 3)]);
    assert_eq!(applied.updates.len(), 4, "two accounts, two updates each");
}
