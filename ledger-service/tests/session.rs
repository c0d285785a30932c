//! bank-core's session, the client side of every app, against a real ledger-service
//! process and its brokers: what a phone does, without the phone.

#[path = "support/device.rs"]
mod device;
#[allow(dead_code)] // the session tests use only part of the contract harness
#[path = "contract/harness.rs"]
mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bank_core::app::{ConnectionState, RowStatus, ViewModel};
use bank_core::session::{FileCredentialStore, Session, SessionConfig};
use bank_protocol::Amount;
use device::{Device, Forward, config, is_current};
use harness::{Broker, Ledger, QUIET};
use tempfile::TempDir;
use tokio::sync::mpsc;

async fn two_devices_see_a_transfer_live(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let (one_storage, two_storage) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let mut one = Device::online(config(ledger.port, "00001", &one_storage)).await;
    let mut two = Device::online(config(ledger.port, "00002", &two_storage)).await;
    assert_eq!((one.latest.balance_text.as_str(), two.latest.balance_text.as_str()), ("$1,000.00", "$726.14"));
    assert!(one.latest.devices_online.contains(&"test device 00001".to_string()), "{:?}", one.latest.devices_online);

    let sent = Instant::now();
    let id = one.session.transfer("00002", "5.00", "lunch").unwrap().expect("a valid transfer is queued");
    let view = two.until("with 00001's transfer", |view| view.balance_text == "$731.14").await;
    println!("send to live update on the other device: {:?}", sent.elapsed());
    let row = &view.history[0];
    assert_eq!(
        (row.title.as_str(), row.amount_text.as_str(), row.memo.as_deref(), row.status),
        ("From #00001", "+$5.00", Some("lunch"), RowStatus::Done)
    );
    assert_eq!(row.id, id.to_string());
    let view = one
        .until("with its transfer done", |view| view.history.first().is_some_and(|row| row.status == RowStatus::Done))
        .await;
    assert_eq!((view.balance_text.as_str(), view.history[0].amount_text.as_str()), ("$995.00", "-$5.00"));
    assert_eq!(view.notice.unwrap().text, "Sent $5.00 to #00002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_two_devices_see_a_transfer_live() {
    two_devices_see_a_transfer_live(Broker::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_two_devices_see_a_transfer_live() {
    two_devices_see_a_transfer_live(Broker::Mosquitto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_transfer_survives_an_app_restart_and_is_applied_once() {
    let mut ledger = Ledger::start(Broker::Embedded).await;
    let storage = TempDir::new().unwrap();
    let mut phone = Device::online(config(ledger.port, "00004", &storage)).await;
    assert_eq!(phone.latest.balance_text, "$350.00");

    ledger.kill();
    phone.until("offline", |view| view.connection == ConnectionState::Offline).await;
    let id = phone.session.transfer("00003", "50.15", "offline").unwrap().expect("queued while offline");
    assert_eq!(phone.session.view().history.first().map(|row| row.status), Some(RowStatus::Pending));
    drop(phone); // the app is closed before the ledger is back

    ledger.spawn().await;
    let mut phone = Device::open(config(ledger.port, "00004", &storage));
    assert_eq!(phone.latest.history[0].status, RowStatus::Pending, "the outbox was read back from disk");
    phone.session.connect();
    let view = phone
        .until("with the offline transfer applied", |view| {
            is_current(view) && view.history.iter().any(|row| row.id == id.to_string() && row.status == RowStatus::Done)
        })
        .await;
    assert_eq!(view.balance_text, "$299.85");
    assert_eq!(view.history.iter().filter(|row| row.id == id.to_string()).count(), 1);
    assert_eq!(ledger.balance("00004").await.version, 1, "applied exactly once");

    // A restart with nothing pending sends nothing again.
    drop(phone);
    let phone = Device::online(config(ledger.port, "00004", &storage)).await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(ledger.balance("00004").await.version, 1);
    drop(phone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_made_while_the_ledger_is_down_is_sent_on_reconnect() {
    let mut ledger = Ledger::start(Broker::Embedded).await;
    let storage = TempDir::new().unwrap();
    let mut phone = Device::online(config(ledger.port, "00003", &storage)).await;
    ledger.kill();
    phone.until("offline", |view| view.connection == ConnectionState::Offline).await;
    let id = phone.session.transfer("00001", "1.00", "").unwrap().unwrap().to_string();
    ledger.spawn().await;
    phone
        .until("reconnected with the transfer done", |view| {
            view.history.iter().any(|row| row.id == id && row.status == RowStatus::Done)
        })
        .await;
    assert_eq!(ledger.balance("00003").await.version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_amount_is_a_view_error_and_nothing_is_sent() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let operator = ledger.connect_as("operator", "operator").await;
    operator.subscribe("bank/transfer/request/+").await;
    let storage = TempDir::new().unwrap();
    let mut phone = Device::online(config(ledger.port, "00001", &storage)).await;
    assert_eq!(phone.session.transfer("00002", "1.001", "").unwrap(), None);
    let form = phone.until("with the form error", |view| view.form.amount_error.is_some()).await.form;
    assert_eq!(form.amount_error.as_deref(), Some("Amount can have at most 2 digits after the decimal point"));
    assert!(operator.next(QUIET).await.is_none(), "nothing reached the broker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_once_without_retrying() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let storage = TempDir::new().unwrap();
    let mut phone = Device::open(SessionConfig { password: "wrong".into(), ..config(ledger.port, "00001", &storage) });
    phone.session.connect();
    let view = phone.until("login failed", |view| view.connection == ConnectionState::LoginFailed).await;
    assert!(view.connection_text.contains("account number or password"), "{}", view.connection_text);
    tokio::time::sleep(Duration::from_secs(3)).await; // six times the first retry delay
    let attempts = ledger.log().matches("refused a login").count();
    assert_eq!(attempts, 1, "one CONNECT, no retry loop; log:\n{}", ledger.log());
    assert_eq!(phone.session.view().connection, ConnectionState::LoginFailed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_connects_over_tls_with_the_brokers_ca() {
    let (_ledger, tls_port, ca, _certs) = Ledger::start_with_tls().await;
    let storage = TempDir::new().unwrap();
    let ca_certificate_pem = Some(std::fs::read_to_string(ca).unwrap());
    let tls = SessionConfig {
        host: "localhost".into(),
        tls: true,
        ca_certificate_pem,
        ..config(tls_port, "00002", &storage)
    };
    let phone = Device::online(tls.clone()).await;
    assert_eq!(phone.latest.balance_text, "$726.14");

    // Without the CA, the public roots do not trust a private broker.
    let other_storage = TempDir::new().unwrap();
    let storage_dir = other_storage.path().display().to_string();
    let mut stranger = Device::open(SessionConfig { ca_certificate_pem: None, storage_dir, ..tls });
    stranger.session.connect();
    let view = stranger.until("refused by TLS", |view| view.connection == ConnectionState::Offline).await;
    assert!(view.connection_text.contains("TLS"), "{}", view.connection_text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configs_are_refused_with_the_field_to_fix() {
    let storage = TempDir::new().unwrap();
    let good = config(1883, "00001", &storage);
    let cases = [
        (SessionConfig { host: " ".into(), ..good.clone() }, "broker's address"),
        (SessionConfig { port: 0, ..good.clone() }, "port"),
        (SessionConfig { account: "1".into(), ..good.clone() }, "5 digits"),
        (SessionConfig { password: "".into(), ..good.clone() }, "password"),
        (SessionConfig { keepalive_secs: 1, ..good.clone() }, "Keepalive"),
        (SessionConfig { tls: true, ca_certificate_pem: Some("nope".into()), ..good.clone() }, "BEGIN CERTIFICATE"),
        (SessionConfig { storage_dir: "/proc/forbidden".into(), ..good.clone() }, "Cannot use /proc/forbidden"),
    ];
    let (sender, _views) = mpsc::unbounded_channel();
    let storage_dir = good.storage_dir.clone();
    let files = || Arc::new(FileCredentialStore::new(&storage_dir));
    let _open = Session::new(good.clone(), Arc::new(Forward(sender)), files()).unwrap();
    let cases =
        cases.into_iter().chain([(good, "account 00001 already has a session open on this storage; close it first.")]);
    for (config, expected) in cases {
        let (sender, _views) = mpsc::unbounded_channel();
        let error = Session::new(config, Arc::new(Forward(sender)), files()).err().expect("refused");
        assert!(error.to_string().contains(expected), "{error} lacks {expected:?}");
    }
}

/// A phone signs in once with its password, keeps a token, signs in with the token alone
/// from then on, and is asked for the password again once another device revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_token_replaces_the_password_until_another_device_revokes_it() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let (phone_storage, tablet_storage) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let token_file = phone_storage.path().join("accounts/00001/device-token");
    let phone = Device::online(config(ledger.port, "00001", &phone_storage)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !token_file.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let token = std::fs::read_to_string(&token_file).expect("the phone kept a token");
    assert!(token.starts_with("bt1."), "{token}");
    drop(phone);

    let without_password = || SessionConfig { password: String::new(), ..config(ledger.port, "00001", &phone_storage) };
    let phone = Device::online(without_password()).await;
    let phone_id = std::fs::read_to_string(phone_storage.path().join("device-id")).unwrap();
    let mut tablet = Device::online(config(ledger.port, "00001", &tablet_storage)).await;
    tablet.session.revoke_device(phone_id.trim());
    tablet
        .until("the phone signed out", |view| view.notice.as_ref().is_some_and(|n| n.text.contains("signed out")))
        .await;

    phone.session.disconnect();
    drop(phone);
    let mut phone = Device::open(without_password());
    phone.session.connect();
    let view = phone.until("asked for the password", |view| view.connection == ConnectionState::LoginFailed).await;
    assert!(view.connection_text.contains("Sign in with your password again"), "{}", view.connection_text);
    assert!(!token_file.exists(), "the revoked token is forgotten");
    drop(phone);
    let error = Session::new(
        without_password(),
        Arc::new(Forward(mpsc::unbounded_channel().0)),
        Arc::new(FileCredentialStore::new(phone_storage.path())),
    )
    .err();
    assert!(error.is_some_and(|error| error.to_string().contains("Enter the password")), "no token, no password");
}

/// Transfers made by `payer` to 00002 around a ledger restart. Amounts differ so that a
/// missing or doubled entry cannot hide in the balance chain.
struct Payments {
    ids: Vec<String>,
    total_cents: i64,
}

impl Payments {
    fn new() -> Payments {
        Payments { ids: Vec::new(), total_cents: 0 }
    }

    /// Queues the next transfer to 00002 on `payer`: sent now if it is online, else on reconnect.
    fn queue(&mut self, payer: &Device) -> String {
        let cents = 101 * (self.ids.len() as i64 + 1);
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let id = payer.session.transfer("00002", &amount, "restart").unwrap().expect("a valid transfer is queued");
        self.ids.push(id.to_string());
        self.total_cents += cents;
        id.to_string()
    }

    /// Sends the next transfer and waits until the ledger has applied it.
    async fn send(&mut self, payer: &mut Device) {
        let id = self.queue(payer);
        payer.until("with its transfer done", |view| is_done(view, &id)).await;
    }

    /// What 00002's balance must be once every transfer is in.
    fn expected_balance(&self) -> String {
        bank_core::app::money(Amount::from_cents(OPENING_00002_CENTS + self.total_cents))
    }
}

const OPENING_00002_CENTS: i64 = 72_614;

fn is_done(view: &ViewModel, id: &str) -> bool {
    view.history.iter().any(|row| row.id == id && row.status == RowStatus::Done)
}

/// `$1,234.56` or `+$5.00` / `-$5.00` as signed cents.
fn cents(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let value: i64 = digits.parse().unwrap_or_else(|_| panic!("not money: {text}"));
    if negative { -value } else { value }
}

/// The device has every payment and nothing else, and its history has no gap: walking up
/// from the opening balance, each row's balance is the one below it plus its amount, and
/// the newest row's balance is the balance shown.
fn assert_history_is_whole(view: &ViewModel, payments: &Payments) {
    let mut shown: Vec<&str> = view.history.iter().map(|row| row.id.as_str()).collect();
    let mut sent: Vec<&str> = payments.ids.iter().map(String::as_str).collect();
    shown.sort_unstable();
    sent.sort_unstable();
    assert_eq!(shown, sent, "every transfer exactly once; view: {view:#?}");
    let mut balance = OPENING_00002_CENTS;
    for row in view.history.iter().rev() {
        assert_eq!(row.status, RowStatus::Done, "{row:?}");
        balance += cents(&row.amount_text);
        assert_eq!(row.balance_after_text.as_deref().map(cents), Some(balance), "a gap below {row:?}; view: {view:#?}");
    }
    assert_eq!(cents(&view.balance_text), balance, "the balance is the newest entry's; view: {view:#?}");
    assert_eq!(view.balance_text, payments.expected_balance());
}

/// Waits until `device` shows every payment, then checks its history is whole.
async fn assert_caught_up(device: &mut Device, payments: &Payments) {
    let balance = payments.expected_balance();
    let view = device
        .until("with every transfer", |view| {
            is_current(view) && view.balance_text == balance && payments.ids.iter().all(|id| is_done(view, id))
        })
        .await;
    assert_history_is_whole(&view, payments);
}

/// 00002's device is offline (signed out, its session kept by the broker) while transfers
/// reach it before a `kill -9` of the ledger and after its restart. When it comes back it
/// must have every one of them once, with no gap in its history.
async fn an_offline_device_misses_nothing_across_a_ledger_restart(broker: Broker) {
    let mut ledger = Ledger::start(broker).await;
    let (payer_storage, phone_storage) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let mut payer = Device::online(config(ledger.port, "00001", &payer_storage)).await;
    let mut phone = Device::online(config(ledger.port, "00002", &phone_storage)).await;
    let mut payments = Payments::new();
    payments.send(&mut payer).await;
    assert_caught_up(&mut phone, &payments).await;

    phone.session.disconnect();
    phone.until("signed out", |view| view.connection == ConnectionState::Disconnected).await;
    payments.send(&mut payer).await;
    payments.send(&mut payer).await;
    ledger.kill();
    ledger.spawn().await;
    payer.until("back online", is_current).await;
    payments.send(&mut payer).await;
    payments.send(&mut payer).await;

    phone.session.connect();
    assert_caught_up(&mut phone, &payments).await;
    assert_eq!(ledger.balance("00002").await.version, payments.ids.len() as u64, "each applied once");
}

/// The ledger is killed while 00002's device is online. A transfer waits in the payer's
/// outbox while the ledger is down, and more follow as soon as it is back, whether or not
/// the device has reconnected by then (with the embedded broker it is usually still
/// waiting out its backoff).
async fn an_online_device_misses_nothing_across_a_ledger_restart(broker: Broker) {
    let mut ledger = Ledger::start(broker).await;
    let (payer_storage, phone_storage) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let mut payer = Device::online(config(ledger.port, "00001", &payer_storage)).await;
    let mut phone = Device::online(config(ledger.port, "00002", &phone_storage)).await;
    let mut payments = Payments::new();
    payments.send(&mut payer).await;
    payments.send(&mut payer).await;
    assert_caught_up(&mut phone, &payments).await;

    ledger.kill();
    let lost = |view: &ViewModel| view.connection != ConnectionState::Online || view.ledger_text.is_some();
    payer.until("without its ledger", lost).await;
    phone.until("without its ledger", lost).await;
    let queued = payments.queue(&payer);
    ledger.spawn().await;
    payer.until("with the queued transfer done", |view| is_done(view, &queued)).await;
    payments.send(&mut payer).await;
    payments.send(&mut payer).await;

    assert_caught_up(&mut phone, &payments).await;
    assert_eq!(ledger.balance("00002").await.version, payments.ids.len() as u64, "each applied once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_an_offline_device_misses_nothing_across_a_ledger_restart() {
    an_offline_device_misses_nothing_across_a_ledger_restart(Broker::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_an_offline_device_misses_nothing_across_a_ledger_restart() {
    an_offline_device_misses_nothing_across_a_ledger_restart(Broker::Mosquitto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_an_online_device_misses_nothing_across_a_ledger_restart() {
    an_online_device_misses_nothing_across_a_ledger_restart(Broker::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_an_online_device_misses_nothing_across_a_ledger_restart() {
    an_online_device_misses_nothing_across_a_ledger_restart(Broker::Mosquitto).await;
}
