use bank_protocol::{PAYLOAD_BYTES_MAX, Reason, TransferResult};
use rumqttc::{ConnectReturnCode, ConnectionError, QoS, SubscribeReasonCode};
use serde_json::{Value, json};
use std::time::Duration;

use uuid::Uuid;

use crate::harness::{Broker, Client, Ledger, QUIET, WAIT, readable_id};

const DEMO_TOTAL_CENTS: i64 = 100_000 + 72_614 + 250_000 + 35_000;

async fn device(ledger: &Ledger, account: &str) -> Client {
    let client = ledger.connect(account).await;
    client.subscribe(&format!("bank/transfer/result/{account}")).await;
    client
}

fn transfer(to: &str, amount: &str) -> Value {
    json!({"id": Uuid::now_v7(), "to": to, "amount": amount, "memo": "lunch"})
}

fn accepted(result: &TransferResult) -> (String, u64) {
    match result {
        TransferResult::Accepted { balance, version, .. } => (balance.to_string(), *version),
        rejected => panic!("expected accepted, got {rejected:?}"),
    }
}

fn reason(result: &TransferResult) -> Reason {
    match result {
        TransferResult::Rejected { reason, .. } => *reason,
        accepted => panic!("expected a rejection, got {accepted:?}"),
    }
}

async fn total_cents(ledger: &Ledger) -> i64 {
    ledger.balances().await.iter().map(|update| update.balance.cents()).sum()
}

pub async fn accepted_transfer_moves_both_retained_balances(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = device(&ledger, "00001").await;
    let request = transfer("00002", "5");
    let result = payer.request("00001", request.to_string()).await;
    assert_eq!(result.id().unwrap().to_string(), request["id"]);
    assert_eq!(accepted(&result), ("995.00".into(), 1));

    // A device that connects afterwards gets the retained balance, with the entry that made it.
    let payee = ledger.connect("00002").await;
    payee.subscribe("bank/balanceUpdate/00002").await;
    let update = payee.wait_for("bank/balanceUpdate/00002", |_| true).await.unwrap();
    assert_eq!(update["balance"], "731.14");
    assert_eq!(update["version"], 1);
    assert_eq!(update["format"], 2);
    let entry = &update["entries"][0];
    assert_eq!((entry["version"].clone(), entry["balance"].clone()), (json!(1), json!("731.14")));
    assert_eq!(entry["direction"], "in");
    assert_eq!(entry["counterparty"], "00001");
    assert_eq!(entry["amount"], "5.00");
    assert_eq!(entry["memo"], "lunch");
    assert_eq!(entry["id"], request["id"]);
    assert!(entry["at"].as_str().unwrap().ends_with('Z'), "RFC 3339 UTC");

    let balance = ledger.balance("00001").await;
    assert_eq!((balance.balance.to_string(), balance.version), ("995.00".into(), 1));
}

pub async fn total_is_conserved(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    assert_eq!(total_cents(&ledger).await, DEMO_TOTAL_CENTS);
    let payers: Vec<Client> =
        Box::pin(connect_all(["00001", "00003", "00004"].map(|account| device(&ledger, account)))).await;
    let plan = [
        ("00001", 0, "00005", "100.01"),
        ("00003", 1, "00001", "2500"),
        ("00004", 2, "00005", "350.01"),
        ("00001", 0, "00004", "0.99"),
    ];
    for (payer, index, to, amount) in plan {
        payers[index].request(payer, transfer(to, amount).to_string()).await;
    }
    assert_eq!(total_cents(&ledger).await, DEMO_TOTAL_CENTS);
    let balances: Vec<String> = ledger.balances().await.iter().map(|update| update.balance.to_string()).collect();
    assert_eq!(balances, ["3399.00", "726.14", "0.00", "350.99", "100.01"]);
}

async fn connect_all<const N: usize>(connecting: [impl Future<Output = Client>; N]) -> Vec<Client> {
    let mut clients = Vec::new();
    for future in connecting {
        clients.push(future.await);
    }
    clients
}

pub async fn duplicate_ids_replay_and_conflicting_content_is_refused(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = device(&ledger, "00001").await;
    let id = Uuid::now_v7();
    let first = payer.request("00001", json!({"id": id, "to": "00002", "amount": "5.00"}).to_string()).await;
    let again = payer.request("00001", json!({"id": id, "to": "00002", "amount": "5"}).to_string()).await;
    assert_eq!(again, first, "a retry gets the stored result");
    let conflict = payer.request("00001", json!({"id": id, "to": "00002", "amount": "6.00"}).to_string()).await;
    assert_eq!(reason(&conflict), Reason::IdConflict);
    let to_other = payer.request("00001", json!({"id": id, "to": "00003", "amount": "5.00"}).to_string()).await;
    assert_eq!(reason(&to_other), Reason::IdConflict);

    let broke = device(&ledger, "00005").await;
    let rejected_id = Uuid::now_v7();
    let rejected = json!({"id": rejected_id, "to": "00001", "amount": "1.00"}).to_string();
    assert_eq!(reason(&broke.request("00005", rejected.clone()).await), Reason::InsufficientFunds);
    payer.request("00001", transfer("00005", "10").to_string()).await;
    assert_eq!(
        reason(&broke.request("00005", rejected).await),
        Reason::InsufficientFunds,
        "a rejected id stays rejected"
    );

    let balance = ledger.balance("00001").await;
    assert_eq!((balance.balance.to_string(), balance.version), ("985.00".into(), 2), "applied once each");
}

pub async fn every_bad_request_is_rejected_with_its_reason(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = device(&ledger, "00001").await;
    let id = || Uuid::now_v7().to_string();
    let cases: Vec<(String, Reason)> = vec![
        ("{not json".into(), Reason::MalformedRequest),
        ("[]".into(), Reason::MalformedRequest),
        (json!({"to": "00002", "amount": "5"}).to_string(), Reason::MalformedRequest),
        (json!({"id": 42, "to": "00002", "amount": "5"}).to_string(), Reason::MalformedRequest),
        (json!({"id": id(), "amount": "5"}).to_string(), Reason::MalformedRequest),
        (json!({"id": id(), "to": "00002"}).to_string(), Reason::MalformedRequest),
        (json!({"id": id(), "to": 2, "amount": "5"}).to_string(), Reason::MalformedRequest),
        (json!({"id": id(), "to": "00002", "amount": 5}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "0"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "-1"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "1.001"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "1e3"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "abc"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00002", "amount": "1000000.01"}).to_string(), Reason::InvalidAmount),
        (json!({"id": id(), "to": "00001", "amount": "5"}).to_string(), Reason::SameAccount),
        (json!({"id": id(), "to": "00009", "amount": "5"}).to_string(), Reason::UnknownAccount),
        (
            json!({"id": id(), "to": "00002", "amount": "5", "memo": "x".repeat(141)}).to_string(),
            Reason::MalformedRequest,
        ),
        (json!({"id": id(), "to": "00002", "amount": "5", "memo": 5}).to_string(), Reason::MalformedRequest),
        (json!({"id": id(), "to": "00002", "amount": "1000.01"}).to_string(), Reason::InsufficientFunds),
        (
            format!(r#"{{"id":"{}","to":"00002","amount":"5","memo":"{}"}}"#, id(), "x".repeat(64 * 1024)),
            Reason::MalformedRequest,
        ),
    ];
    for (payload, expected) in cases {
        // Oversized payloads are refused unread, so even a well-formed id is not echoed.
        let expected_id = if payload.len() > PAYLOAD_BYTES_MAX { Value::Null } else { readable_id(payload.as_bytes()) };
        let result = payer.request_expecting("00001", expected_id.clone(), payload.clone().into_bytes()).await;
        let TransferResult::Rejected { reason, message, id } = &result else { panic!("{payload:.80} was accepted") };
        assert_eq!(*reason, expected, "{payload:.80}: {message}");
        assert!(!message.is_empty());
        assert_eq!(json!(id), expected_id, "{payload:.80}");
    }
    for update in ledger.balances().await {
        assert_eq!(update.version, 0, "{} changed", update.account);
    }
}

pub async fn account_users_cannot_read_other_accounts(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let snoop = ledger.connect("00001").await;
    for filter in [
        "#",
        "bank/#",
        "bank/balanceUpdate/+",
        "bank/balanceUpdate/00002",
        "bank/transfer/result/00002",
        "bank/history/result/00002",
        "bank/transfer/request/00002",
        "bank/presence/+/+",
        "$SYS/#",
    ] {
        let codes = snoop.try_subscribe(filter, QoS::AtLeastOnce).await;
        assert_eq!(codes, [SubscribeReasonCode::Failure], "00001 subscribing to {filter}");
    }
    for filter in [
        "bank/balanceUpdate/00001",
        "bank/transfer/result/00001",
        "bank/history/result/00001",
        "bank/presence/00001/+",
        "bank/ledger/status",
    ] {
        snoop.subscribe(filter).await;
    }
    // Nothing of 00002's reaches 00001 when 00002 moves money.
    let victim = device(&ledger, "00002").await;
    victim.request("00002", transfer("00003", "1").to_string()).await;
    victim.publish("bank/history/request/00002", "{}").await;
    while let Some(publish) = snoop.next(QUIET).await {
        assert!(!publish.topic.contains("00002"), "00001 received {}", publish.topic);
    }
}

pub async fn account_users_cannot_move_other_accounts_money(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let watcher = ledger.connect_as("operator", "operator").await;
    for filter in ["bank/transfer/result/+", "bank/history/result/+", "bank/presence/+/+", "bank/ledger/status"] {
        watcher.subscribe(filter).await;
    }
    watcher.next(WAIT).await.expect("the retained ledger status");
    let thief = device(&ledger, "00001").await;
    let stolen = Uuid::now_v7();
    thief
        .publish("bank/transfer/request/00002", json!({"id": stolen, "to": "00001", "amount": "700"}).to_string())
        .await;
    thief
        .publish(
            "bank/balanceUpdate/00001",
            json!({"account": "00001", "balance": "1000000.00", "version": 99, "entry": null}).to_string(),
        )
        .await;
    thief
        .publish(
            "bank/transfer/result/00002",
            json!({"id": stolen, "status": "accepted", "balance": "0.00", "version": 1}).to_string(),
        )
        .await;
    thief.publish("bank/history/request/00002", "{}").await;
    thief.publish("bank/presence/00002/phone", r#"{"online":true}"#).await;
    thief.publish("bank/ledger/status", r#"{"online":false}"#).await;
    // A request of its own proves the ledger has read everything sent before it.
    let marker = thief.request("00001", transfer("00003", "1").to_string()).await;
    assert_eq!(accepted(&marker).1, 1);
    while let Some(publish) = watcher.next(QUIET).await {
        let payload = String::from_utf8_lossy(&publish.payload);
        assert_eq!(publish.topic, "bank/transfer/result/00001", "a forgery of 00001's got through: {payload}");
    }
    let balances = ledger.balances().await;
    let summary: Vec<(String, u64)> = balances.iter().map(|u| (u.balance.to_string(), u.version)).collect();
    assert_eq!(summary[..2], [("999.00".into(), 1), ("726.14".into(), 0)]);
}

pub async fn operator_reads_everything_and_writes_nothing(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let operator = ledger.connect_as("operator", "operator").await;
    assert_eq!(operator.try_subscribe("#", QoS::AtLeastOnce).await, [SubscribeReasonCode::Failure]);
    operator.subscribe("bank/#").await;
    operator.publish("bank/transfer/request/00001", transfer("00005", "100").to_string()).await;
    operator.client.publish("bank/ledger/status", QoS::AtLeastOnce, true, r#"{"online":false}"#).await.unwrap();
    let payer = device(&ledger, "00002").await;
    payer.request("00002", transfer("00005", "0.14").to_string()).await;
    let feed = operator
        .wait_for("bank/balanceUpdate/00005", |update| update["version"] == 1)
        .await
        .expect("the operator sees transfers live");
    assert_eq!(feed["balance"], "0.14", "the operator's forged request was not applied");
    while let Some(publish) = operator.next(QUIET).await {
        assert_ne!(publish.topic, "bank/ledger/status", "the operator's forged status was delivered");
    }
    let status = ledger.connect_as("operator", "operator").await;
    status.subscribe("bank/ledger/status").await;
    assert_eq!(
        status.wait_for("bank/ledger/status", |_| true).await.unwrap()["online"],
        true,
        "retained status intact"
    );
}

pub async fn wrong_or_missing_credentials_are_refused_at_connect(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let cases = [
        ("00001", Some("wrong")),
        ("00002", Some("")),
        ("00009", Some("demo")),
        ("ledger", Some("demo")),
        ("operator", Some("demo")),
        ("00001", None),
    ];
    for (user, password) in cases {
        let mut options = ledger.options(user, "unused");
        match password {
            Some(password) => options.set_credentials(user, password),
            None => options.set_credentials("", ""),
        };
        let error = Client::connect(options).await.err().unwrap_or_else(|| panic!("{user}/{password:?} was let in"));
        assert!(
            matches!(
                error,
                ConnectionError::ConnectionRefused(
                    ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized
                )
            ),
            "{user}/{password:?}: {error:?}"
        );
    }
    let mut anonymous = rumqttc::MqttOptions::new("anonymous", "127.0.0.1", ledger.port);
    anonymous.set_keep_alive(Duration::from_secs(5));
    assert!(Client::connect(anonymous).await.is_err(), "anonymous clients are refused");
}

pub async fn retained_balances_reach_late_subscribers_at_their_qos(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let phone = ledger.connect("00002").await;
    assert_eq!(
        phone.try_subscribe("bank/balanceUpdate/00002", QoS::AtMostOnce).await,
        [SubscribeReasonCode::Success(QoS::AtMostOnce)]
    );
    let retained = phone.next(WAIT).await.expect("the retained balance");
    assert!(retained.retain, "a late subscriber gets the retained message");
    assert_eq!(retained.qos, QoS::AtMostOnce, "QoS 1 is downgraded to the subscription's QoS 0");
    let snapshot: Value = serde_json::from_slice(&retained.payload).unwrap();
    assert_eq!(snapshot, json!({"format": 2, "account": "00002", "balance": "726.14", "version": 0}));
}

pub async fn history_pages_newest_first(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = device(&ledger, "00001").await;
    for cents in 1..=5 {
        payer.request("00001", transfer("00004", &format!("0.0{cents}")).to_string()).await;
    }
    let reader = ledger.connect("00004").await;
    reader.subscribe("bank/history/result/00004").await;
    reader.publish("bank/history/request/00004", r#"{"limit":2,"before_version":null}"#).await;
    let page = reader.wait_for("bank/history/result/00004", |_| true).await.unwrap();
    let versions: Vec<_> = page["entries"].as_array().unwrap().iter().map(|e| e["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, [5, 4]);
    assert_eq!(page["entries"][0]["amount"], "0.05");
    assert_eq!(page["entries"][0]["direction"], "in");
    assert_eq!(page["entries"][0]["balance"], "350.15");
    assert_eq!(page["next_before_version"], 4);
    reader.publish("bank/history/request/00004", r#"{"limit":50,"before_version":4}"#).await;
    let page = reader.wait_for("bank/history/result/00004", |page| page["before_version"] == 4).await.unwrap();
    let versions: Vec<_> = page["entries"].as_array().unwrap().iter().map(|e| e["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(page["next_before_version"], Value::Null);
    reader.publish("bank/history/request/00004", r#"{"limit":"all"}"#).await;
    let refused = reader.wait_for("bank/history/result/00004", |page| page.get("reason").is_some()).await.unwrap();
    assert_eq!(refused["reason"], "malformed_request");
}

/// Subscribes 00002's phone with a persistent session, then takes it offline.
/// Returns the options that resume the session.
async fn park_phone_of_00002(ledger: &Ledger) -> rumqttc::MqttOptions {
    let mut options = ledger.options("00002", "demo");
    options.set_client_id("phone-of-00002".into()).set_clean_session(false);
    let phone = Client::connect(options.clone()).await.unwrap();
    phone.subscribe("bank/balanceUpdate/00002").await;
    phone.next(WAIT).await.expect("retained snapshot");
    phone.client.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    options
}

pub async fn persistent_sessions_keep_messages_for_offline_devices(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let options = park_phone_of_00002(&ledger).await;
    device(&ledger, "00001").await.request("00001", transfer("00002", "3.86").to_string()).await;
    let phone = Client::connect(options).await.unwrap();
    let queued = phone.wait_for("bank/balanceUpdate/00002", |update| update["version"] == 1).await;
    assert_eq!(queued.expect("the update queued while offline")["balance"], "730.00");
}

pub async fn last_will_marks_a_vanished_device_offline(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let mut options = ledger.options("00001", "demo");
    options.set_last_will(rumqttc::LastWill::new(
        "bank/presence/00001/phone",
        r#"{"online":false}"#,
        QoS::AtLeastOnce,
        true,
    ));
    let phone = Client::connect(options).await.unwrap();
    phone.client.publish("bank/presence/00001/phone", QoS::AtLeastOnce, true, r#"{"online":true}"#).await.unwrap();
    let tablet = ledger.connect("00001").await;
    tablet.subscribe("bank/presence/00001/+").await;
    assert!(tablet.wait_for("bank/presence/00001/phone", |p| p["online"] == true).await.is_some());
    phone.drop_connection();
    assert!(
        tablet.wait_for("bank/presence/00001/phone", |p| p["online"] == false).await.is_some(),
        "the will was published"
    );
}

pub async fn kill_9_keeps_balances_and_deduplication(broker: Broker) {
    let mut ledger = Ledger::start(broker).await;
    let request = transfer("00002", "100").to_string();
    let first = device(&ledger, "00001").await.request("00001", request.clone()).await;
    assert_eq!(accepted(&first), ("900.00".into(), 1));
    ledger.kill();
    if broker == Broker::Mosquitto {
        let status = ledger.connect_as("operator", "operator").await;
        status.subscribe("bank/ledger/status").await;
        assert!(
            status.wait_for("bank/ledger/status", |s| s["online"] == false).await.is_some(),
            "the ledger's will says offline"
        );
    }
    ledger.spawn().await;
    let retry = device(&ledger, "00001").await.request("00001", request).await;
    assert_eq!(retry, first, "the stored result survives the crash");
    let balances: Vec<(String, u64)> =
        ledger.balances().await.iter().map(|u| (u.balance.to_string(), u.version)).collect();
    assert_eq!(balances[..2], [("900.00".into(), 1), ("826.14".into(), 1)]);
}

pub async fn mqtt5_devices_transfer_and_get_denials(broker: Broker) {
    crate::mqtt5::transfer_and_denials(broker).await;
}

pub async fn no_one_takes_over_another_users_session_or_will(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let owner = park_phone_of_00002(&ledger).await;
    device(&ledger, "00003").await.request("00003", transfer("00002", "1").to_string()).await;

    // 00001 reuses 00002's client id to inherit its session and queued balance update.
    let mut thief = ledger.options("00001", "demo");
    thief.set_client_id("phone-of-00002".into()).set_clean_session(false);
    if let Ok(thief) = Client::connect(thief).await {
        while let Some(publish) = thief.next(QUIET).await {
            assert!(!publish.topic.ends_with("00002"), "00001 inherited 00002's session: {}", publish.topic);
        }
    }
    // The embedded broker refuses the thief outright, so the owner's queue survives.
    // Mosquitto lets the thief in and only withholds the messages, which are then lost.
    if broker == Broker::Embedded {
        let phone = Client::connect(owner).await.unwrap();
        assert!(phone.wait_for("bank/balanceUpdate/00002", |u| u["version"] == 1).await.is_some(), "queue survived");
    }

    // A last will is a publish too: 00001 may not leave one on 00002's topics.
    let mut forger = ledger.options("00001", "demo");
    forger.set_last_will(rumqttc::LastWill::new(
        "bank/presence/00002/phone",
        r#"{"online":true}"#,
        QoS::AtLeastOnce,
        true,
    ));
    let watcher = ledger.connect("00002").await;
    watcher.subscribe("bank/presence/00002/+").await;
    if let Ok(forger) = Client::connect(forger).await {
        forger.drop_connection();
    }
    assert!(watcher.next(QUIET).await.is_none(), "a forged will reached 00002's devices");
}

/// Only an external broker outlives the ledger: requests it queued meanwhile are applied on restart.
pub async fn requests_sent_while_the_ledger_is_down_are_applied_after_restart() {
    let mut ledger = Ledger::start(Broker::Mosquitto).await;
    let status = ledger.connect_as("operator", "operator").await;
    status.subscribe("bank/ledger/status").await;
    ledger.kill();
    assert!(status.wait_for("bank/ledger/status", |s| s["online"] == false).await.is_some());
    let payer = device(&ledger, "00004").await;
    let request = transfer("00001", "50");
    payer.publish("bank/transfer/request/00004", request.to_string()).await;
    ledger.spawn().await;
    let result = payer.wait_for("bank/transfer/result/00004", |result| result["id"] == request["id"]).await;
    assert_eq!(result.expect("the queued request was applied")["balance"], "300.00");
}

/// Requests that arrive together share one SQLite transaction.
pub async fn group_commit_shares_transactions_between_concurrent_requests(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let mut payers = Vec::new();
    for payer in ["00001", "00002", "00003", "00004"] {
        payers.push((payer, device(&ledger, payer).await));
    }
    for (payer, client) in &payers {
        for _ in 0..50 {
            client.publish(&format!("bank/transfer/request/{payer}"), transfer("00005", "0.01").to_string()).await;
        }
    }
    for (payer, client) in &payers {
        for _ in 0..50 {
            let result = client.wait_for(&format!("bank/transfer/result/{payer}"), |_| true).await.expect("a result");
            assert_eq!(result["status"], "accepted", "{result}");
        }
    }
    assert_eq!(ledger.balance("00005").await.balance.to_string(), "2.00");
    assert_eq!(total_cents(&ledger).await, DEMO_TOTAL_CENTS);
    let batch_sizes: Vec<usize> = ledger
        .log()
        .lines()
        .filter(|line| line.contains("batch done"))
        .filter_map(|line| line.split("requests=").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(batch_sizes.iter().sum::<usize>(), 200, "{batch_sizes:?}");
    assert!(batch_sizes.len() < 200, "some requests shared a transaction: {batch_sizes:?}");
}

/// A request whose commit fails is neither answered nor acknowledged, so the broker
/// delivers it again to the restarted ledger, which applies it once.
pub async fn nothing_is_published_or_acknowledged_before_the_commit() {
    let mut ledger = Ledger::start(Broker::Mosquitto).await;
    let watcher = ledger.connect_as("operator", "operator").await;
    watcher.subscribe("bank/transfer/result/+").await;
    watcher.subscribe("bank/balanceUpdate/+").await;
    while watcher.next(QUIET).await.is_some() {}

    // Another writer holds the database, so the ledger's commit fails once SQLite's busy timeout ends.
    let blocker = rusqlite::Connection::open(ledger.data_dir.path().join("ledger.sqlite3")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let payer = device(&ledger, "00003").await;
    let request = transfer("00004", "25");
    payer.publish("bank/transfer/request/00003", request.to_string()).await;
    let status = ledger.exited(Duration::from_secs(30)).await;
    assert!(!status.success(), "a failed commit stops the ledger");
    assert!(ledger.log().contains("database is locked"), "{}", ledger.log());
    assert!(watcher.next(QUIET).await.is_none(), "something was published without a commit");

    blocker.execute_batch("ROLLBACK").unwrap();
    ledger.spawn().await;
    let result = payer.wait_for("bank/transfer/result/00003", |result| result["id"] == request["id"]).await;
    assert_eq!(result.expect("the unacknowledged request was delivered again")["balance"], "2475.00");
    assert_eq!(ledger.balance("00004").await.version, 1, "applied once");
}

/// The operator's retained feed of applied transfers: late subscribers see the recent
/// past, newest first; account users can neither read nor forge it.
pub async fn the_transfer_feed_is_for_the_operator_only(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payer = device(&ledger, "00001").await;
    for filter in ["bank/ledger/transfers", "bank/ledger/+", "bank/ledger/#"] {
        assert_eq!(payer.try_subscribe(filter, QoS::AtLeastOnce).await, [SubscribeReasonCode::Failure], "{filter}");
    }
    payer
        .request("00001", json!({"id": Uuid::now_v7(), "to": "00002", "amount": "1.50", "memo": "tea"}).to_string())
        .await;
    payer.request("00001", transfer("00003", "2").to_string()).await;
    payer.request("00001", transfer("00003", "5000").to_string()).await; // rejected: not in the feed
    payer.client.publish("bank/ledger/transfers", QoS::AtLeastOnce, true, r#"{"transfers":[]}"#).await.unwrap();
    // A request of its own proves the broker has handled the forgery before the operator looks.
    payer.request("00001", transfer("00004", "0.01").to_string()).await;
    let operator = ledger.connect_as("operator", "operator").await;
    operator.subscribe("bank/ledger/transfers").await;
    // The feed is paced, so the retained one may still be from before the last transfer.
    let newest = |feed: &Value| feed["transfers"][0]["to"] == "00004";
    let feed = operator.wait_for("bank/ledger/transfers", newest).await.expect("the newest feed");
    let lines: Vec<String> = feed["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {} {} {}", t["from"], t["to"], t["amount"], t["memo"]))
        .collect();
    assert_eq!(
        lines,
        [r#""00001" "00004" "0.01" "lunch""#, r#""00001" "00003" "2.00" "lunch""#, r#""00001" "00002" "1.50" "tea""#]
    );
}

pub use crate::batching::a_burst_reaches_the_payee_as_every_version_once_with_the_feed_paced;
pub use crate::channels::the_broker_status_is_for_the_operator_only;
pub use crate::logins::token_topics_belong_to_their_device;
pub use crate::web::phones_see_each_others_transfers_live;
