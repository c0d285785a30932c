//! Balance updates that carry a whole batch's changes (format 2), next to the format 1
//! updates of one change each that `tests.rs` covers.

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::protocol::AccountId;

fn online() -> Model {
    let identity = Identity {
        account: AccountId::parse("00001").unwrap(),
        device_id: "a1b2c3d4e5f6".into(),
        device_name: "Pixel".into(),
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    };
    let mut model = Model::new(identity, vec![]).signing_in_with(SignIn::Token);
    model.update(Event::Connect);
    model.update(Event::Connected { at: at("2026-11-24T23:15:00.000Z"), request_id: Uuid::nil() });
    model
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn update(payload: Value) -> Event {
    Event::Message { topic: "bank/balanceUpdate/00001".into(), payload: serde_json::to_vec(&payload).unwrap() }
}

fn snapshot(version: u64, balance: &str) -> Event {
    update(json!({"format": 2, "account": "00001", "balance": balance, "version": version}))
}

/// The snapshot of version 3 at 10.00, and the answer to the history fetch it makes.
fn known_at_3(model: &mut Model) {
    model.update(snapshot(3, "10.00"));
    let row = json!({"version": 3, "balance": "10.00", "id": Uuid::now_v7(), "direction": "in",
                     "counterparty": "00004", "amount": "10.00", "memo": null, "at": "2026-11-24T23:15:55.123Z"});
    let page = json!({"account": "00001", "before_version": null, "entries": [row], "next_before_version": null});
    model.update(Event::Message { topic: "bank/history/result/00001".into(), payload: page.to_string().into_bytes() });
    assert!(!model.view().history_loading);
}

/// An `in` of 1.00 per version from `first` to `last`, the balance rising from `cents_before`.
fn batch(first: u64, last: u64, cents_before: i64, id: impl Fn(u64) -> Uuid) -> Event {
    let entries: Vec<Value> = (first..=last)
        .map(|version| {
            let cents = cents_before + 100 * (version - first + 1) as i64;
            json!({"version": version, "balance": money(cents), "id": id(version), "direction": "in",
                   "counterparty": "00004", "amount": "1.00", "memo": null, "at": "2026-11-24T23:15:55.123Z"})
        })
        .collect();
    let newest = entries.last().unwrap().clone();
    update(json!({"format": 2, "account": "00001", "balance": newest["balance"], "version": last, "entries": entries}))
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn history_fetches(effects: &[Effect]) -> usize {
    let fetch =
        |effect: &&Effect| matches!(effect, Effect::Publish { topic, .. } if topic == "bank/history/request/00001");
    effects.iter().filter(fetch).count()
}

fn fresh_id(_: u64) -> Uuid {
    Uuid::now_v7()
}

#[test]
fn a_batch_that_continues_the_known_version_is_shown_entry_by_entry_without_a_fetch() {
    let mut model = online();
    known_at_3(&mut model);
    let effects = model.update(batch(4, 6, 1000, fresh_id));
    assert_eq!(history_fetches(&effects), 0, "{effects:?}");
    let view = model.view();
    assert_eq!(view.balance_text, "$13.00");
    let balances: Vec<_> = view.history.iter().map(|row| row.balance_after_text.clone().unwrap()).collect();
    assert_eq!(
        balances,
        ["Balance $13.00", "Balance $12.00", "Balance $11.00", "Balance $10.00"],
        "newest first, one row per version"
    );
}

#[test]
fn a_batch_that_overlaps_what_is_known_adds_only_the_newer_versions() {
    let mut model = online();
    known_at_3(&mut model);
    model.update(batch(4, 4, 1000, fresh_id));
    let effects = model.update(batch(4, 5, 1000, fresh_id));
    assert_eq!(history_fetches(&effects), 0);
    assert_eq!(model.view().history.len(), 3);
    assert_eq!(model.view().balance_text, "$12.00");
}

#[test]
fn a_batch_that_starts_past_the_next_version_fetches_the_newest_history() {
    let mut model = online();
    known_at_3(&mut model);
    let effects = model.update(batch(6, 7, 1200, fresh_id));
    assert_eq!(history_fetches(&effects), 1, "versions 4 and 5 were missed");
    assert_eq!(model.view().balance_text, "$14.00");
}

#[test]
fn a_batch_whose_entries_do_not_add_up_to_its_balance_is_not_trusted() {
    let mut model = online();
    known_at_3(&mut model);
    let Event::Message { payload, .. } = batch(4, 5, 1000, fresh_id) else { unreachable!() };
    let mut forged: Value = serde_json::from_slice(&payload).unwrap();
    forged["balance"] = json!("99.00");
    let effects = model.update(update(forged));
    assert_eq!(history_fetches(&effects), 1, "the history is fetched instead");
    assert_eq!(model.view().history.len(), 1, "no row of the forged batch");
}

#[test]
fn a_batch_settles_every_transfer_of_this_device_with_one_save() {
    let mut model = online();
    known_at_3(&mut model);
    let mut sent = Vec::new();
    for _ in 0..2 {
        let id = Uuid::now_v7();
        let event = Event::SubmitTransfer {
            payee: "00004".into(),
            amount: "1".into(),
            memo: "".into(),
            id,
            at: at("2026-11-24T23:20:00Z"),
        };
        model.update(event);
        model.update(Event::OutboxSaved { error: None });
        sent.push(id);
    }
    let entries: Vec<Value> = sent
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"version": 4 + i as u64, "balance": money(900 - 100 * i as i64), "id": id, "direction": "out",
                   "counterparty": "00004", "amount": "1.00", "memo": null, "at": "2026-11-24T23:20:00.123Z"})
        })
        .collect();
    let effects = model
        .update(update(json!({"format": 2, "account": "00001", "balance": "8.00", "version": 5, "entries": entries})));
    let saves: Vec<_> = effects.iter().filter(|effect| matches!(effect, Effect::SaveOutbox(_))).collect();
    assert_eq!(saves, [&Effect::SaveOutbox(vec![])], "both left the outbox in one save");
}
