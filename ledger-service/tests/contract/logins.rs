//! Logins under attack and device tokens, against a real ledger-service process.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rumqttc::{MqttOptions, QoS, SubscribeReasonCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use uuid::Uuid;

use crate::harness::{Broker, Client, Ledger, QUIET, WAIT};

const PHONE: &str = "a1b2c3d4e5f6";
const TABLET: &str = "0000000000aa";
/// CONNACK return codes of MQTT 3.1.1.
const ACCEPTED: u8 = 0;
const BAD_USER_OR_PASSWORD: u8 = 4;
const NOT_AUTHORIZED: u8 = 5;

/// One CONNECT from `source`, by hand, so thousands cost a socket each and nothing more.
/// Returns the CONNACK's return code, or `None` if none came within [`WAIT`].
async fn raw_login(port: u16, source: IpAddr, client_id: &str, user: &str, password: &str) -> Option<u8> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(source, 0)).ok()?;
    let mut stream = socket.connect(SocketAddr::from(([127, 0, 0, 1], port))).await.ok()?;
    stream.write_all(&connect_packet(client_id, user, password)).await.ok()?;
    let mut connack = [0u8; 4];
    tokio::time::timeout(WAIT, stream.read_exact(&mut connack)).await.ok()?.ok()?;
    (connack[0] == 0x20).then_some(connack[3])
}

fn connect_packet(client_id: &str, user: &str, password: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 30];
    for field in [client_id, user, password] {
        body.extend((field.len() as u16).to_be_bytes());
        body.extend(field.as_bytes());
    }
    assert!(body.len() < 128, "one-byte remaining length");
    [vec![0x10, body.len() as u8], body].concat()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn argon2_runs(ledger: &Ledger, user: &str) -> usize {
    let needle = format!("username=\"{user}\"");
    ledger.log().lines().filter(|line| line.contains("verified with Argon2") && line.contains(&needle)).count()
}

fn device_options(ledger: &Ledger, account: &str, device: &str, secret: &str) -> MqttOptions {
    let mut options = MqttOptions::new(format!("bank-{account}-{device}"), "127.0.0.1", ledger.port);
    options.set_credentials(account, secret).set_keep_alive(Duration::from_secs(5)).set_clean_session(true);
    options
}

async fn transfer_goes_through(device: &Client, payer: &str) {
    let id = Uuid::now_v7();
    let result = device.request(payer, json!({"id": id, "to": "00005", "amount": "0.01"}).to_string()).await;
    assert!(matches!(result, bank_protocol::TransferResult::Accepted { .. }), "{result:?}");
}

/// The memory bound `docs/reliability.md` states for this flood, with room for a debug build.
const FLOOD_RSS_GROWTH_KIB_MAX: u64 = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_wrong_passwords_at_once_leave_memory_bounded_and_the_ledger_serving() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let device = ledger.connect("00001").await;
    device.subscribe("bank/transfer/result/00001").await;
    transfer_goes_through(&device, "00001").await;
    let rss_before = rss_kib(ledger.pid());
    let started = Instant::now();
    let logins = (0..2000u32).map(|n| {
        let source = IpAddr::from([127, 0, 1 + (n / 250) as u8, 1 + (n % 250) as u8]);
        let port = ledger.port;
        tokio::spawn(async move { raw_login(port, source, &format!("flood-{n}"), "00002", "wrong").await })
    });
    let during = async {
        transfer_goes_through(&device, "00001").await;
        started.elapsed()
    };
    let (codes, served_in) = tokio::join!(futures_collect(logins), during);
    let rss_after = rss_kib(ledger.pid());
    let count = |code| codes.iter().filter(|answer| **answer == Some(code)).count();
    println!(
        "2000 wrong-password CONNECTs: {} refused, {} busy, {} unanswered in {:?}; RSS {} -> {} KiB; a transfer \
         during the flood took {served_in:?}",
        count(BAD_USER_OR_PASSWORD),
        count(NOT_AUTHORIZED),
        codes.iter().filter(|answer| answer.is_none()).count(),
        started.elapsed(),
        rss_before,
        rss_after
    );
    assert_eq!(count(ACCEPTED), 0);
    assert_eq!(count(BAD_USER_OR_PASSWORD) + count(NOT_AUTHORIZED), 2000, "every CONNECT is answered: {codes:?}");
    assert!(count(NOT_AUTHORIZED) > 0, "past the queue, logins are refused as busy");
    assert!(rss_after < rss_before + FLOOD_RSS_GROWTH_KIB_MAX, "RSS {rss_before} -> {rss_after} KiB");
    transfer_goes_through(&device, "00001").await;
}

async fn futures_collect<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_101st_wrong_password_is_delayed_while_the_owner_gets_in_from_elsewhere() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let (attacker, owner) = (IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3]));
    assert_eq!(raw_login(ledger.port, owner, "phone", "00001", "demo").await, Some(ACCEPTED));
    for n in 0..100 {
        let code = raw_login(ledger.port, attacker, &format!("guess-{n}"), "00001", "wrong").await;
        assert_eq!(code, Some(BAD_USER_OR_PASSWORD), "guess {n}");
    }
    let started = Instant::now();
    assert_eq!(raw_login(ledger.port, attacker, "guess-100", "00001", "wrong").await, Some(BAD_USER_OR_PASSWORD));
    let throttled_in = started.elapsed();
    let started = Instant::now();
    assert_eq!(raw_login(ledger.port, owner, "phone", "00001", "demo").await, Some(ACCEPTED));
    println!("the 101st wrong password took {throttled_in:?}; the owner's next login {:?}", started.elapsed());
    assert!(throttled_in >= Duration::from_millis(250), "the 101st guess was not delayed: {throttled_in:?}");
    let log = ledger.log();
    let throttled: Vec<_> = log.lines().filter(|line| line.contains("throttling logins")).collect();
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert!(throttled[0].contains("127.0.0.2"), "{}", throttled[0]);
    assert_eq!(argon2_runs(&ledger, "00001"), 1, "the owner's second login came from the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_with_the_password_runs_no_argon2() {
    let ledger = Ledger::start(Broker::Embedded).await;
    for _ in 0..3 {
        drop(ledger.connect("00003").await);
    }
    assert_eq!(argon2_runs(&ledger, "00003"), 1);
}

/// Signs a device in with its password and asks for its token.
async fn token_for(ledger: &Ledger, account: &str, device: &str) -> String {
    let client = Client::connect(device_options(ledger, account, device, "demo")).await.unwrap();
    let result_topic = format!("token/result/{account}/{device}");
    client.subscribe(&result_topic).await;
    let id = Uuid::new_v4();
    client
        .publish(&format!("token/issue/{account}/{device}"), json!({"id": id, "name": "test phone"}).to_string())
        .await;
    let result = client.wait_for(&result_topic, |result| result["id"] == json!(id)).await.expect("a token result");
    assert_eq!(result["status"], "issued", "{result}");
    result["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_token_signs_in_its_device_only_without_argon2_until_revoked() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let token = token_for(&ledger, "00001", PHONE).await;
    assert!(token.starts_with("bt1.") && token.len() >= 4 + 22, "at least 128 bits: {token}");
    let runs = argon2_runs(&ledger, "00001");

    let phone = Client::connect(device_options(&ledger, "00001", PHONE, &token)).await.expect("the token signs in");
    phone.subscribe("bank/transfer/result/00001").await;
    transfer_goes_through(&phone, "00001").await;
    for (account, device) in [("00001", TABLET), ("00002", PHONE)] {
        let refused = Client::connect(device_options(&ledger, account, device, &token)).await;
        assert!(refused.is_err(), "{account}/{device} signed in with another device's token");
    }
    assert_eq!(argon2_runs(&ledger, "00001"), runs, "no Argon2 for a token");

    // A token cannot mint tokens; only the password can.
    phone.subscribe(&format!("token/result/00001/{PHONE}")).await;
    phone.publish(&format!("token/issue/00001/{PHONE}"), json!({"id": Uuid::new_v4()}).to_string()).await;
    assert!(phone.next(QUIET).await.is_none(), "a token-signed-in device got a new token");

    // The tablet, signed in with the password, revokes the phone.
    let tablet = Client::connect(device_options(&ledger, "00001", TABLET, "demo")).await.unwrap();
    tablet.subscribe(&format!("token/result/00001/{TABLET}")).await;
    let id = Uuid::new_v4();
    tablet.publish(&format!("token/revoke/00001/{TABLET}"), json!({"id": id, "device": PHONE}).to_string()).await;
    let result = tablet.wait_for(&format!("token/result/00001/{TABLET}"), |_| true).await.unwrap();
    assert_eq!(result, json!({"status": "revoked", "id": id, "device": PHONE, "revoked": true}));
    let refused = Client::connect(device_options(&ledger, "00001", PHONE, &token)).await;
    assert!(refused.is_err(), "a revoked token still signs in");
    assert!(Client::connect(device_options(&ledger, "00001", PHONE, "demo")).await.is_ok(), "the password still does");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_revokes_a_token_while_the_service_runs() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let token = token_for(&ledger, "00004", PHONE).await;
    let data_dir = ledger.data_dir.path().to_str().unwrap().to_string();
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ledger-service"))
            .args(["tokens", "--data-dir", &data_dir])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(cli(&["list"]).contains(&format!("00004  {PHONE}  test phone")), "{}", cli(&["list"]));
    assert_eq!(cli(&["revoke", "00004", PHONE]).trim(), "revoked 1 device token(s) of account 00004");
    assert!(Client::connect(device_options(&ledger, "00004", PHONE, &token)).await.is_err());
    assert_eq!(cli(&["list"]), "");
}

/// Only the device a token topic names may read or write it; the operator reads none.
pub async fn token_topics_belong_to_their_device(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let other = Client::connect(device_options(&ledger, "00001", TABLET, "demo")).await.unwrap();
    let operator = ledger.connect_as("operator", "operator").await;
    for (client, filter) in [
        (&other, format!("token/result/00001/{PHONE}")),
        (&other, "token/result/00001/+".to_string()),
        (&other, "token/#".to_string()),
        (&operator, "token/#".to_string()),
        (&operator, "#".to_string()),
    ] {
        assert_eq!(client.try_subscribe(&filter, QoS::AtLeastOnce).await, [SubscribeReasonCode::Failure], "{filter}");
    }
    operator.subscribe("bank/#").await;
    while operator.next(QUIET).await.is_some() {}
    let phone = Client::connect(device_options(&ledger, "00001", PHONE, "demo")).await.unwrap();
    let own = format!("token/result/00001/{PHONE}");
    let granted = phone.try_subscribe(&own, QoS::AtLeastOnce).await;
    phone.publish(&format!("token/issue/00001/{PHONE}"), json!({"id": Uuid::new_v4()}).to_string()).await;
    match broker {
        Broker::Embedded => {
            assert_eq!(granted, [SubscribeReasonCode::Success(QoS::AtLeastOnce)]);
            let result: Value = phone.wait_for(&own, |_| true).await.expect("a token");
            assert_eq!(result["status"], "issued");
        }
        // Mosquitto checks passwords only: it grants no token topic, so devices keep the password.
        Broker::Mosquitto => {
            assert_eq!(granted, [SubscribeReasonCode::Failure]);
            assert!(phone.next(QUIET).await.is_none());
        }
    }
    while let Some(publish) = operator.next(QUIET).await {
        assert!(!String::from_utf8_lossy(&publish.payload).contains("bt1."), "the operator saw a token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_device_is_paced_and_others_are_served() {
    let args = ["--publish-rate-max", "50", "--publish-burst-max", "50"].map(String::from).to_vec();
    let ledger = Ledger::start_with(Broker::Embedded, args).await;
    let flooder = ledger.connect("00002").await;
    flooder.subscribe("bank/history/result/00002").await;
    let started = Instant::now();
    for _ in 0..1000 {
        flooder.client.publish("bank/history/request/00002", QoS::AtMostOnce, false, "{}").await.unwrap();
    }
    let victim = ledger.connect("00003").await;
    victim.subscribe("bank/transfer/result/00003").await;
    transfer_goes_through(&victim, "00003").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut answered = 0;
    while flooder.next(Duration::from_millis(1)).await.is_some() {
        answered += 1;
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    println!("a device flooding 1000 history requests got {answered} answers in {elapsed_s:.1} s at 50/s, burst 50");
    let allowed = 50.0 + 50.0 * elapsed_s;
    assert!((answered as f64) <= allowed + 5.0, "{answered} answers in {elapsed_s:.1} s; pacing allows {allowed:.0}");
    assert!(answered >= 50, "the burst goes through at once: {answered}");
}
