//! The app's behaviour, event by event, with no network.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::protocol::AccountId;

const ME: &str = "00001";
const NOW: &str = "2026-11-24T23:15:00.000Z";

fn model() -> Model {
    let identity = Identity {
        account: AccountId::parse(ME).unwrap(),
        device_id: "a1b2c3d4e5f6".into(),
        device_name: "Pixel".into(),
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    };
    // Most tests are of a device that already holds its token; the token tests start from a password.
    Model::new(identity, vec![]).signing_in_with(SignIn::Token)
}

fn connected() -> Event {
    Event::Connected { at: at(NOW), request_id: Uuid::nil() }
}

fn online() -> Model {
    let mut model = model();
    model.update(Event::Connect);
    model.update(connected());
    model
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn message(topic: &str, payload: serde_json::Value) -> Event {
    Event::Message { topic: topic.into(), payload: serde_json::to_vec(&payload).unwrap() }
}

fn balance(version: u64, balance: &str, entry: Option<serde_json::Value>) -> Event {
    message("bank/balanceUpdate/00001", json!({"account": ME, "balance": balance, "version": version, "entry": entry}))
}

fn entry(id: Uuid, direction: &str, counterparty: &str, amount: &str) -> serde_json::Value {
    json!({"id": id, "direction": direction, "counterparty": counterparty, "amount": amount, "memo": null, "at": "2026-11-24T23:15:55.123Z"})
}

fn submit(model: &mut Model, payee: &str, amount: &str) -> (Uuid, Vec<Effect>) {
    let id = Uuid::now_v7();
    let event = Event::SubmitTransfer {
        payee: payee.into(),
        amount: amount.into(),
        memo: "".into(),
        id,
        at: at("2026-11-24T23:20:00Z"),
    };
    let mut effects = model.update(event);
    // What the session does: the save's answer, then the effects it brings.
    if matches!(effects.as_slice(), [Effect::SaveOutbox(_)]) {
        effects.extend(model.update(Event::OutboxSaved { error: None }));
    }
    (id, effects)
}

fn published_topics(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Publish { topic, .. } => Some(topic.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn connecting_subscribes_announces_the_device_and_nothing_else() {
    let mut model = model();
    assert_eq!(model.view().connection, ConnectionState::Disconnected);
    assert_eq!(model.update(Event::Connect), vec![Effect::StartConnection]);
    assert_eq!(model.update(Event::Connect), vec![], "a second connect is ignored");
    assert_eq!(model.view().connection_text, "Connecting…");
    let effects = model.update(connected());
    let Effect::Subscribe(filters) = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(
        filters,
        &[
            "bank/balanceUpdate/00001",
            "bank/transfer/result/00001",
            "bank/history/result/00001",
            "bank/presence/00001/+",
            "bank/ledger/status",
            "token/result/00001/a1b2c3d4e5f6"
        ]
    );
    assert_eq!(
        effects[1],
        Effect::Publish {
            topic: "bank/presence/00001/a1b2c3d4e5f6".into(),
            payload: br#"{"online":true,"name":"Pixel","at":"2026-11-24T23:15:00.000Z"}"#.to_vec(),
            retain: true
        }
    );
    assert_eq!(effects.len(), 2);
    assert_eq!(model.view().connection_text, "Online");
}

#[test]
fn the_first_balance_shows_and_fetches_history() {
    let mut model = online();
    assert_eq!(model.view().balance_text, "—");
    let effects = model.update(balance(3, "726.14", None));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"]);
    let Effect::Publish { payload, .. } = &effects[0] else { unreachable!() };
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(payload).unwrap(),
        json!({"limit": 50, "before_version": null})
    );
    let view = model.view();
    assert_eq!((view.balance_text.as_str(), view.balance_known, view.history_loading), ("$726.14", true, true));
}

#[test]
fn the_next_version_is_applied_live_and_older_ones_are_ignored() {
    let mut model = online();
    model.update(balance(3, "726.14", None));
    let id = Uuid::now_v7();
    let effects = model.update(balance(4, "5000.00", Some(entry(id, "in", "00004", "4273.86"))));
    assert_eq!(effects, vec![], "no history fetch for the next version");
    let row = &model.view().history[0];
    assert_eq!(
        (row.title.as_str(), row.amount_text.as_str(), row.status, row.incoming),
        ("From #00004", "+$4,273.86", RowStatus::Done, true)
    );
    assert_eq!(row.time_text, "Nov 24, 23:15");
    assert_eq!(row.balance_after_text.as_deref(), Some("Balance $5,000.00"));
    assert_eq!(model.update(balance(4, "1.00", None)), vec![]);
    assert_eq!(model.update(balance(2, "1.00", None)), vec![]);
    assert_eq!(model.view().balance_text, "$5,000.00");
}

#[test]
fn a_version_gap_fetches_the_newest_history() {
    let mut model = online();
    model.update(balance(0, "10.00", None));
    model.update(message(
        "bank/history/result/00001",
        json!({"account": ME, "before_version": null, "entries": [], "next_before_version": null}),
    ));
    let effects = model.update(balance(6, "20.00", Some(entry(Uuid::now_v7(), "in", "00002", "10.00"))));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"]);
    assert_eq!(model.view().balance_text, "$20.00");
}

/// A newest page of entries `versions`, each with the balance after it of `version` dollars.
fn newest_page(versions: &[u64]) -> Event {
    newest_page_with(versions, |version| format!("{version}.00"))
}

fn newest_page_with(versions: &[u64], balance: impl Fn(u64) -> String) -> Event {
    let row = |version: &u64| json!({"version": version, "balance": balance(*version), "id": Uuid::now_v7(), "direction": "in", "counterparty": "00002", "amount": "1.00", "memo": null, "at": "2026-11-24T10:00:00Z"});
    let entries: Vec<_> = versions.iter().map(row).collect();
    message(
        "bank/history/result/00001",
        json!({"account": ME, "before_version": null, "entries": entries, "next_before_version": null}),
    )
}

#[test]
fn a_forged_page_spanning_every_version_is_a_gap_not_a_panic() {
    // Found by the model fuzz target: versions 0 and u64::MAX overflowed the gap check.
    let mut model = online();
    model.update(balance(u64::MAX, "1.00", None));
    let effects = model.update(newest_page_with(&[u64::MAX, 0], |_| "1.00".into()));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"], "the hole is fetched again");
    assert_eq!(model.view().balance_text, "$1.00");
}

/// The balances of the history rows, newest first.
fn row_balances(model: &Model) -> Vec<String> {
    model
        .view()
        .history
        .iter()
        .filter_map(|row| Some(row.balance_after_text.as_deref()?.strip_prefix("Balance ")?.to_string()))
        .collect()
}

#[test]
fn a_page_older_than_the_balance_it_was_asked_for_does_not_close_the_gap() {
    let mut model = online();
    model.update(balance(1, "1.00", None));
    // The request goes out again on reconnect, so the ledger answers it twice.
    model.update(Event::ConnectionLost { reason: "gone".into(), retry_in: Duration::from_secs(1) });
    let resent = model.update(connected());
    assert_eq!(published_topics(&resent), ["bank/presence/00001/a1b2c3d4e5f6", "bank/history/request/00001"]);
    model.update(newest_page(&[1]));
    let effects = model.update(balance(3, "3.00", Some(entry(Uuid::now_v7(), "in", "00002", "1.00"))));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"]);

    model.update(newest_page(&[1])); // the second answer to the first request
    assert!(model.view().history_loading, "still waiting for a page that reaches version 3");
    assert_eq!(model.ignored_messages, 1);
    model.update(newest_page(&[3, 2, 1]));
    assert_eq!(
        (model.view().history_loading, row_balances(&model)),
        (false, vec!["$3.00".into(), "$2.00".into(), "$1.00".into()])
    );
}

#[test]
fn a_gap_that_opens_while_a_page_is_on_its_way_is_fetched_next() {
    let mut model = online();
    model.update(balance(1, "1.00", None));
    let effects = model.update(balance(3, "3.00", Some(entry(Uuid::now_v7(), "in", "00002", "1.00"))));
    assert_eq!(effects, vec![], "one history request at a time");
    let effects = model.update(newest_page(&[1]));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"], "version 3 is still missing");
    assert!(model.view().history_loading);
    assert_eq!(model.update(newest_page(&[3, 2, 1])), vec![]);
    assert_eq!((model.view().history_loading, row_balances(&model).len()), (false, 3));
}

/// Found by `fuzz/` (target `model`): after a version jump, the next live versions were
/// added above the loaded history while the newest page was still on its way, so the
/// history showed a hole (here 1, then 4: no 2 and 3).
#[test]
fn live_entries_after_a_version_gap_wait_for_the_newest_page() {
    let mut model = online();
    let ids: Vec<Uuid> = (0..=4).map(|_| Uuid::now_v7()).collect();
    let shown = |model: &Model| model.view().history.iter().map(|row| row.id.clone()).collect::<Vec<_>>();
    model.update(balance(1, "10.00", Some(entry(ids[1], "in", "00002", "10.00"))));
    let row = |version: u64| {
        json!({"version": version, "balance": format!("{version}0.00"), "id": ids[version as usize], "direction": "in",
               "counterparty": "00002", "amount": "10.00", "memo": null, "at": "2026-11-24T23:15:55.123Z"})
    };
    let page = |versions: &[u64]| {
        let entries: Vec<_> = versions.iter().map(|version| row(*version)).collect();
        message(
            "bank/history/result/00001",
            json!({"account": ME, "before_version": null, "entries": entries, "next_before_version": null}),
        )
    };
    model.update(page(&[1]));
    assert_eq!(shown(&model), [ids[1].to_string()]);

    // Version 2 is missed: 3 is a jump, which asks for the newest page; 4 arrives before it.
    let effects = model.update(balance(3, "30.00", Some(entry(ids[3], "in", "00002", "10.00"))));
    assert_eq!(published_topics(&effects), ["bank/history/request/00001"]);
    model.update(balance(4, "40.00", Some(entry(ids[4], "in", "00002", "10.00"))));
    assert_eq!(model.view().balance_text, "$40.00");
    assert_eq!(shown(&model), [ids[1].to_string()], "no hole: 4 waits for the page");

    model.update(page(&[4, 3, 2, 1]));
    let expected: Vec<String> = (1..=4).rev().map(|version| ids[version].to_string()).collect();
    assert_eq!(shown(&model), expected);
}

#[test]
fn an_invalid_transfer_shows_errors_and_sends_nothing() {
    let mut model = online();
    model.update(balance(1, "100.00", None));
    // Every rule and its wording is in form.rs's tests; here, that the model applies them.
    for (payee, amount, field, error) in [
        ("00002", "1.234", "amount", "Amount can have at most 2 digits after the decimal point"),
        ("00002", "100.01", "amount", "That is more than your available balance of $100.00"),
        ("00001", "5", "payee", "You can't send money to your own account"),
    ] {
        let (_, effects) = submit(&mut model, payee, amount);
        assert_eq!(effects, vec![], "{payee} {amount}");
        let form = model.view().form;
        let shown = if field == "amount" { form.amount_error } else { form.payee_error };
        assert_eq!(shown.as_deref(), Some(error));
        assert!(!form.send_enabled);
        assert_eq!((form.payee.as_str(), form.amount.as_str()), (payee, amount), "the typed text stays");
    }
}

#[test]
fn typing_updates_errors_and_the_send_button() {
    let mut model = online();
    model.update(Event::EditTransfer { payee: "".into(), amount: "".into(), memo: "".into() });
    let form = model.view().form;
    assert_eq!((form.payee_error, form.amount_error, form.send_enabled), (None, None, false));
    model.update(Event::EditTransfer { payee: "00002".into(), amount: "5.5".into(), memo: "".into() });
    assert!(model.view().form.send_enabled);
    model.update(Event::EditTransfer { payee: "00002".into(), amount: "5.001".into(), memo: "".into() });
    assert!(!model.view().form.send_enabled);
}

#[test]
fn a_transfer_is_saved_before_it_is_sent_and_settles_on_its_result() {
    let mut model = online();
    model.update(balance(1, "100.00", None));
    let (id, effects) = submit(&mut model, "00002", "5");
    assert_eq!(model.view().history[0].status_text, "Sending…");
    let Effect::SaveOutbox(saved) = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(saved[0].id, id);
    assert_eq!(published_topics(&effects), ["bank/transfer/request/00001"]);
    let view = model.view();
    assert_eq!((view.history[0].status, view.history[0].title.as_str()), (RowStatus::Pending, "To #00002"));
    assert_eq!(view.pending_text.as_deref(), Some("-$5.00 pending"));
    assert_eq!(view.form, TransferForm::default(), "the form is cleared");

    let effects = model.update(message(
        "bank/transfer/result/00001",
        json!({"status": "accepted", "id": id, "balance": "95.00", "version": 2}),
    ));
    assert_eq!(effects, vec![Effect::SaveOutbox(vec![])]);
    assert!(!model.is_pending(id));
    assert_eq!(model.view().notice.unwrap().text, "Sent $5.00 to #00002");
}

#[test]
fn the_balance_update_of_an_own_transfer_settles_it_too() {
    let mut model = online();
    model.update(balance(1, "100.00", None));
    let (id, _) = submit(&mut model, "00002", "5");
    let effects = model.update(balance(2, "95.00", Some(entry(id, "out", "00002", "5.00"))));
    assert_eq!(effects, vec![Effect::SaveOutbox(vec![])]);
    let history = model.view().history;
    assert_eq!(history.len(), 1, "the pending row became the applied row: {history:?}");
    assert_eq!((history[0].status, history[0].amount_text.as_str()), (RowStatus::Done, "-$5.00"));
}

#[test]
fn a_rejection_becomes_a_row_with_a_human_reason() {
    let mut model = online();
    let (id, _) = submit(&mut model, "00009", "5");
    model.update(message(
        "bank/transfer/result/00001",
        json!({"status": "rejected", "id": id, "reason": "unknown_account", "message": "no account 00009"}),
    ));
    let view = model.view();
    assert_eq!(view.history[0].status, RowStatus::Rejected);
    assert_eq!(view.history[0].status_text, "Rejected: there is no account #00009");
    let notice = view.notice.unwrap();
    assert_eq!(
        (notice.tone, notice.text.as_str()),
        (NoticeTone::Error, "$5.00 to #00009 was not sent: there is no account #00009")
    );
}

#[test]
fn offline_transfers_wait_in_the_outbox_and_go_out_on_every_connect() {
    let mut model = model();
    let (id, effects) = submit(&mut model, "00002", "5");
    assert!(matches!(effects.as_slice(), [Effect::SaveOutbox(_)]), "saved, not sent: {effects:?}");
    assert_eq!(model.view().notice.unwrap().text, "$5.00 to #00002 will be sent when you are back online.");
    model.update(Event::Connect);
    for _ in 0..2 {
        let effects = model.update(connected());
        assert_eq!(published_topics(&effects), ["bank/presence/00001/a1b2c3d4e5f6", "bank/transfer/request/00001"]);
        let Effect::Publish { payload, .. } = &effects[2] else { unreachable!() };
        let sent: serde_json::Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(sent, json!({"id": id, "to": "00002", "amount": "5.00"}));
        model.update(Event::ConnectionLost { reason: "gone".into(), retry_in: Duration::from_secs(2) });
    }
}

#[test]
fn a_restarted_app_resends_what_its_outbox_file_held() {
    let transfer = PendingTransfer {
        id: Uuid::now_v7(),
        to: AccountId::parse("00003").unwrap(),
        amount: crate::protocol::Amount::from_cents(700),
        memo: Some("rent".into()),
        created_at: at("2026-11-24T20:00:00Z"),
    };
    let mut model = Model::new(model().identity.clone(), vec![transfer]).signing_in_with(SignIn::Token);
    assert_eq!(model.view().history[0].status_text, "Waiting for a connection");
    model.update(Event::Connect);
    assert_eq!(published_topics(&model.update(connected()))[1], "bank/transfer/request/00001");
}

#[test]
fn history_pages_load_in_order_and_pages_asked_by_other_devices_are_ignored() {
    let mut model = online();
    model.update(balance(5, "50.00", None));
    let row = |version: u64| json!({"version": version, "balance": "50.00", "id": Uuid::now_v7(), "direction": "in", "counterparty": "00002", "amount": "1.00", "memo": "tea", "at": "2026-11-24T10:00:00Z"});
    let page = |before: Option<u64>, versions: &[u64], next: Option<u64>| {
        let entries: Vec<_> = versions.iter().map(|version| row(*version)).collect();
        message(
            "bank/history/result/00001",
            json!({"account": ME, "before_version": before, "entries": entries, "next_before_version": next}),
        )
    };
    model.update(page(Some(3), &[2, 1], None));
    assert_eq!(model.view().history.len(), 0, "nobody here asked for that page");
    model.update(page(None, &[5, 4, 3], Some(3)));
    let view = model.view();
    assert_eq!((view.history.len(), view.can_load_more_history, view.history_loading), (3, true, false));
    assert_eq!(view.history[0].memo.as_deref(), Some("tea"));
    let effects = model.update(Event::LoadMoreHistory);
    let Effect::Publish { payload, .. } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(payload).unwrap(),
        json!({"limit": 50, "before_version": 3})
    );
    assert_eq!(model.update(Event::LoadMoreHistory), vec![], "one request at a time");
    model.update(page(Some(3), &[2, 1], None));
    let view = model.view();
    assert_eq!((view.history.len(), view.can_load_more_history), (5, false));
}

#[test]
fn presence_lists_this_accounts_online_devices() {
    let mut model = online();
    model.update(message("bank/presence/00001/aaaaaaaaaaaa", json!({"online": true, "name": "iPhone"})));
    model.update(message("bank/presence/00001/bbbbbbbbbbbb", json!({"online": true})));
    model.update(message("bank/presence/00001/cccccccccccc", json!({"online": true, "name": "Laptop"})));
    model.update(message("bank/presence/00001/cccccccccccc", json!({"online": false})));
    assert_eq!(model.view().devices_online, ["bbbbbbbbbbbb", "iPhone"]);
}

#[test]
fn a_refused_login_stops_and_says_so() {
    let mut model = model().signing_in_with(SignIn::Password);
    model.update(Event::Connect);
    let effects = model.update(Event::LoginRefused { reason: "bad password".into() });
    assert_eq!(effects, vec![Effect::StopConnection]);
    let view = model.view();
    assert_eq!(
        (view.connection, view.connection_text.as_str()),
        (ConnectionState::LoginFailed, "Login failed: bad password")
    );
    assert_eq!(model.update(Event::ConnectionLost { reason: "late".into(), retry_in: Duration::ZERO }), vec![]);
    assert_eq!(model.view().connection, ConnectionState::LoginFailed, "a late event from the old link changes nothing");
    assert_eq!(model.update(Event::Connect), vec![Effect::StartConnection], "the user may try again");
}

#[test]
fn offline_shows_the_reason_and_the_retry() {
    let mut model = model();
    model.update(Event::Connect);
    model.update(Event::ConnectionLost {
        reason: "nothing is listening at 10.0.0.2:1883".into(),
        retry_in: Duration::from_millis(3200),
    });
    assert_eq!(model.view().connection_text, "Offline: nothing is listening at 10.0.0.2:1883. Retrying in 4 s");
    model.update(connected());
    model.update(message("bank/ledger/status", json!({"online": false})));
    assert!(model.view().ledger_text.unwrap().contains("ledger is offline"));
}

#[test]
fn disconnecting_says_goodbye_only_when_online() {
    let mut model = online();
    let effects = model.update(Event::Disconnect { at: at("2026-11-24T23:40:00.000Z") });
    assert_eq!(published_topics(&effects), ["bank/presence/00001/a1b2c3d4e5f6"]);
    let Effect::Publish { payload, .. } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(payload, br#"{"online":false,"name":"Pixel","at":"2026-11-24T23:40:00.000Z"}"#);
    assert_eq!(effects.last(), Some(&Effect::StopConnection));
    assert_eq!(model.update(Event::Disconnect { at: at(NOW) }), vec![]);
}

#[test]
fn a_transfer_is_sent_only_once_its_save_is_answered() {
    let mut model = online();
    let id = Uuid::now_v7();
    let submitted =
        Event::SubmitTransfer { payee: "00002".into(), amount: "5".into(), memo: "".into(), id, at: at(NOW) };
    let effects = model.update(submitted);
    assert!(matches!(effects.as_slice(), [Effect::SaveOutbox(saved)] if saved[0].id == id), "{effects:?}");
    let effects = model.update(Event::OutboxSaved { error: None });
    assert_eq!(published_topics(&effects), ["bank/transfer/request/00001"]);
    assert_eq!(model.update(Event::OutboxSaved { error: None }), vec![], "a settled transfer's save sends nothing");
}

#[test]
fn a_save_failure_drops_the_transfer_and_says_why() {
    let mut model = online();
    let id = Uuid::now_v7();
    model.update(Event::SubmitTransfer { payee: "00002".into(), amount: "5".into(), memo: "".into(), id, at: at(NOW) });
    let effects = model.update(Event::OutboxSaved { error: Some("No space left on device".into()) });
    assert_eq!(effects, vec![], "nothing is sent");
    assert!(!model.is_pending(id));
    assert!(model.view().notice.unwrap().text.contains("could not be saved on this device (No space left on device)"));
}

#[test]
fn untrusted_messages_never_panic_and_change_nothing() {
    let mut model = online();
    model.update(balance(1, "100.00", None));
    let before = model.view();
    let topics = [
        "bank/balanceUpdate/00001",
        "bank/transfer/result/00001",
        "bank/history/result/00001",
        "bank/presence/00001/x",
        "bank/ledger/status",
        "bank/balanceUpdate/00002",
        "elsewhere",
    ];
    let payloads: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\xff\xfe".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        br#"{"account":"00002","balance":"1.00","version":9,"entry":null}"#.to_vec(),
        br#"{"account":"00001","balance":1.5,"version":9,"entry":null}"#.to_vec(),
        br#"{"account":"00001","before_version":null,"entries":[{"version":0}],"next_before_version":null}"#.to_vec(),
        br#"{"status":"accepted","id":"not-a-uuid"}"#.to_vec(),
        br#"{"online":"yes"}"#.to_vec(),
    ];
    let mut ignored = 0;
    for topic in topics {
        for payload in &payloads {
            model.update(Event::Message { topic: topic.into(), payload: payload.clone() });
            ignored += 1;
        }
    }
    assert_eq!(model.view(), before);
    assert_eq!(model.ignored_messages, ignored);
}

#[test]
fn a_history_page_settles_a_transfer_whose_result_was_lost() {
    let mut model = online();
    model.update(balance(0, "100.00", None));
    model.update(message(
        "bank/history/result/00001",
        json!({"account": ME, "before_version": null, "entries": [], "next_before_version": null}),
    ));
    let (id, _) = submit(&mut model, "00002", "5");
    // The result and the live update were missed; the jump fetches the newest page.
    let later = entry(Uuid::now_v7(), "out", "00003", "1.00");
    model.update(balance(2, "94.00", Some(later.clone())));
    let mut applied = entry(id, "out", "00002", "5.00");
    applied["version"] = json!(1);
    applied["balance"] = json!("95.00");
    let mut newest = later;
    newest["version"] = json!(2);
    newest["balance"] = json!("94.00");
    let effects = model.update(message(
        "bank/history/result/00001",
        json!({"account": ME, "before_version": null, "entries": [newest, applied], "next_before_version": null}),
    ));
    assert_eq!(effects, vec![Effect::SaveOutbox(vec![])]);
    let view = model.view();
    assert_eq!(view.history.iter().filter(|row| row.id == id.to_string()).count(), 1, "{:?}", view.history);
    assert_eq!(view.pending_text, None);
}

#[test]
fn a_returning_ledger_gets_everything_unanswered_again() {
    let mut model = online();
    model.update(message("bank/ledger/status", json!({"online": false})));
    let (_, effects) = submit(&mut model, "00002", "5");
    assert_eq!(published_topics(&effects), ["bank/transfer/request/00001"]);
    assert_eq!(model.update(message("bank/ledger/status", json!({"online": false}))), vec![]);
    let effects = model.update(message("bank/ledger/status", json!({"online": true})));
    assert_eq!(published_topics(&effects), ["bank/transfer/request/00001"]);
    assert_eq!(model.update(message("bank/ledger/status", json!({"online": true}))), vec![], "only on the way back");
}

#[test]
fn after_a_reconnect_the_first_online_ledger_gets_everything_unanswered_again() {
    let mut model = online();
    model.update(message("bank/ledger/status", json!({"online": true})));
    submit(&mut model, "00002", "5");
    model.update(Event::ConnectionLost { reason: "gone".into(), retry_in: Duration::from_secs(1) });
    assert_eq!(published_topics(&model.update(connected()))[1], "bank/transfer/request/00001");
    // The broker restarted: it took the device before the ledger had subscribed.
    let effects = model.update(message("bank/ledger/status", json!({"online": true})));
    assert_eq!(published_topics(&effects), ["bank/transfer/request/00001"]);
}

#[test]
fn history_stops_offering_older_pages_at_its_memory_limit() {
    let mut model = online();
    model.update(balance(3000, "50.00", None));
    let page = |before: Option<u64>, top: u64| {
        let entries: Vec<_> = (top - 49..=top)
            .rev()
            .map(|version| json!({"version": version, "balance": "50.00", "id": Uuid::now_v7(), "direction": "in", "counterparty": "00002", "amount": "1.00", "memo": null, "at": "2026-11-24T10:00:00Z"}))
            .collect();
        message(
            "bank/history/result/00001",
            json!({"account": ME, "before_version": before, "entries": entries, "next_before_version": top - 49}),
        )
    };
    model.update(page(None, 3000));
    let mut loads = 0;
    while model.view().can_load_more_history {
        let lowest = 3000 - 50 * (loads + 1) + 1;
        assert_eq!(published_topics(&model.update(Event::LoadMoreHistory)).len(), 1);
        model.update(page(Some(lowest), lowest - 1));
        loads += 1;
        assert!(loads < 100, "paging never ends");
    }
    assert_eq!(model.view().history.len(), 1000);
    assert_eq!(model.update(Event::LoadMoreHistory), vec![]);
}

#[test]
fn losing_the_connection_forgets_who_else_is_online() {
    let mut model = online();
    model.update(message("bank/presence/00001/aaaaaaaaaaaa", json!({"online": true, "name": "iPhone"})));
    model.update(Event::ConnectionLost { reason: "gone".into(), retry_in: Duration::from_secs(1) });
    assert_eq!(model.view().devices_online, Vec::<String>::new());
}

#[test]
fn a_password_sign_in_asks_for_a_token_and_keeps_the_one_it_asked_for() {
    let mut model = model().signing_in_with(SignIn::Password);
    model.update(Event::Connect);
    let request_id = Uuid::now_v7();
    let effects = model.update(Event::Connected { at: at(NOW), request_id });
    assert_eq!(effects[2], Effect::RememberLogin);
    let Effect::Publish { topic, payload, .. } = &effects[3] else { panic!("{effects:?}") };
    assert_eq!(topic, "token/issue/00001/a1b2c3d4e5f6");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(payload).unwrap(),
        json!({"id": request_id, "name": "Pixel"})
    );
    let result =
        |id: Uuid| message("token/result/00001/a1b2c3d4e5f6", json!({"status": "issued", "id": id, "token": "bt1.x"}));
    assert_eq!(model.update(result(Uuid::nil())), vec![], "not the token it asked for");
    assert_eq!(model.update(result(request_id)), vec![Effect::SaveToken("bt1.x".into())]);
    let effects = model.update(Event::Connected { at: at(NOW), request_id: Uuid::now_v7() });
    assert_eq!(published_topics(&effects), ["bank/presence/00001/a1b2c3d4e5f6"], "a token holder asks no more");
}

#[test]
fn a_refused_token_is_forgotten_and_the_password_is_asked_for() {
    let mut model = online();
    let effects = model.update(Event::LoginRefused { reason: "bad user name or password".into() });
    assert_eq!(effects, vec![Effect::ForgetToken, Effect::StopConnection]);
    let view = model.view();
    assert_eq!(view.connection, ConnectionState::LoginFailed);
    assert_eq!(view.connection_text, "Login failed: this device was signed out. Sign in with your password again");
    let mut with_password = self::model().signing_in_with(SignIn::Password);
    with_password.update(Event::Connect);
    let effects = with_password.update(Event::LoginRefused { reason: "wrong".into() });
    assert_eq!(effects, vec![Effect::StopConnection], "a refused password forgets nothing");
}

#[test]
fn a_device_revokes_another_and_signing_out_revokes_itself() {
    let mut model = online();
    model.update(message("bank/presence/00001/0000000000aa", json!({"online": true, "name": "iPad"})));
    let request_id = Uuid::now_v7();
    let effects = model.update(Event::RevokeDevice { device: "0000000000aa".into(), request_id });
    let Effect::Publish { topic, payload, .. } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(topic, "token/revoke/00001/a1b2c3d4e5f6");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(payload).unwrap(),
        json!({"id": request_id, "device": "0000000000aa"})
    );
    let revoked = json!({"status": "revoked", "id": request_id, "device": "0000000000aa", "revoked": true});
    model.update(message("token/result/00001/a1b2c3d4e5f6", revoked));
    assert_eq!(model.view().notice.unwrap().text, "iPad is signed out. It needs the password to sign in again.");
    assert_eq!(model.update(Event::RevokeDevice { device: "a/b".into(), request_id }), vec![]);

    let effects = model.update(Event::SignOut { at: at(NOW), request_id });
    assert_eq!(published_topics(&effects), ["token/revoke/00001/a1b2c3d4e5f6", "bank/presence/00001/a1b2c3d4e5f6"]);
    assert!(effects.contains(&Effect::ForgetToken) && effects.ends_with(&[Effect::StopConnection]), "{effects:?}");
    assert_eq!(model.view().connection, ConnectionState::Disconnected);
}

#[test]
fn a_password_sign_in_stays_on_the_sign_in_screen_until_online_and_is_remembered_once() {
    let mut model = model().signing_in_with(SignIn::Password);
    assert_eq!(model.view().sign_in, SignInPhase::SigningIn);
    model.update(Event::Connect);
    model.update(Event::ConnectionLost { reason: "no route".into(), retry_in: Duration::from_secs(2) });
    assert_eq!((model.view().sign_in, model.view().sign_in_error), (SignInPhase::SigningIn, None));
    let effects = model.update(connected());
    assert_eq!(effects.iter().filter(|effect| **effect == Effect::RememberLogin).count(), 1, "{effects:?}");
    assert_eq!(model.view().sign_in, SignInPhase::SignedIn);
    model.update(Event::ConnectionLost { reason: "gone".into(), retry_in: Duration::from_secs(2) });
    assert_eq!(model.view().sign_in, SignInPhase::SignedIn, "offline is still signed in");
    assert!(!model.update(connected()).contains(&Effect::RememberLogin), "remembered once per sign-in");
}

#[test]
fn a_token_opens_the_account_at_once_and_a_refusal_signs_out_with_the_reason() {
    let mut model = model();
    assert_eq!(model.view().sign_in, SignInPhase::SignedIn, "before the broker answers");
    model.update(Event::Connect);
    assert!(!model.update(connected()).contains(&Effect::RememberLogin), "a token sign-in was remembered before");
    model.update(Event::LoginRefused { reason: "bad user name or password".into() });
    let view = model.view();
    assert_eq!(view.sign_in, SignInPhase::SignedOut);
    assert_eq!(
        view.sign_in_error.as_deref(),
        Some("Login failed: this device was signed out. Sign in with your password again")
    );
}

#[test]
fn the_view_words_the_account_the_devices_and_the_balance_after() {
    let mut model = online();
    assert_eq!(model.view().account_title, "Account #00001");
    assert_eq!(model.view().devices_online_text, None);
    model.update(message("bank/presence/00001/0000000000aa", json!({"online": true, "name": "iPad"})));
    model.update(message("bank/presence/00001/a1b2c3d4e5f6", json!({"online": true, "name": "Pixel"})));
    assert_eq!(model.view().devices_online_text.as_deref(), Some("Online now: Pixel, iPad"));
}

#[test]
fn a_token_request_goes_out_again_when_the_ledger_comes_online_until_answered() {
    let mut model = model().signing_in_with(SignIn::Password);
    model.update(Event::Connect);
    let request_id = Uuid::now_v7();
    model.update(Event::Connected { at: at(NOW), request_id });
    let status = |online: bool| message("bank/ledger/status", json!({"online": online}));
    let effects = model.update(status(true));
    assert_eq!(published_topics(&effects), ["token/issue/00001/a1b2c3d4e5f6"], "the ledger may not have heard it");
    assert_eq!(model.update(status(true)), vec![], "only when the ledger returns");
    let issued = json!({"status": "issued", "id": request_id, "token": "bt1.x"});
    model.update(message("token/result/00001/a1b2c3d4e5f6", issued));
    model.update(status(false));
    assert_eq!(published_topics(&model.update(status(true))), Vec::<String>::new(), "answered: asked no more");
}
