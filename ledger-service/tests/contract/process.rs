//! The service as a process: flags, TLS, shutdown and the startup banner.

use std::process::Command;
use std::time::Duration;

use rumqttc::{TlsConfiguration, Transport};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{Broker, Client, Ledger, WAIT};

fn ledger_service(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ledger-service")).args(args).output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn bad_flags_get_a_clear_message_and_a_non_zero_exit() {
    let cases: [(&[&str], &str); 5] = [
        (&["--mqtt-listen", "nowhere"], "invalid value 'nowhere' for '--mqtt-listen"),
        (&["--broker", "mqtt://127.0.0.1:1883"], "--broker needs the ledger's user and password"),
        (&["--mqtts-listen", "127.0.0.1:8883"], "--tls-cert"),
        (&["--config", "/nonexistent/bank.toml"], "cannot read config file /nonexistent/bank.toml"),
        (&["--frobnicate"], "unexpected argument '--frobnicate'"),
    ];
    for (args, expected) in cases {
        let (code, stderr) = ledger_service(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn hash_password_prints_an_argon2_hash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledger-service"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"correct horse\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8(output.stdout).unwrap().starts_with("$argon2id$"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_says_offline_and_exits_cleanly() {
    let mut ledger = Ledger::start(Broker::Mosquitto).await;
    let operator = ledger.connect_as("operator", "operator").await;
    operator.subscribe("bank/ledger/status").await;
    operator.wait_for("bank/ledger/status", |status| status["online"] == true).await.unwrap();
    let status = ledger.terminate();
    assert!(status.success(), "exit status {status:?}; log:\n{}", ledger.log());
    assert!(operator.wait_for("bank/ledger/status", |status| status["online"] == false).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_sigterm_exits_cleanly_and_banner_names_the_logins() {
    let mut ledger = Ledger::start(Broker::Embedded).await;
    let log = ledger.log();
    assert!(log.contains(&format!("mqtt://127.0.0.1:{}", ledger.port)), "{log}");
    assert!(log.contains("password `demo`"), "{log}");
    let status = ledger.terminate();
    assert!(status.success(), "exit status {status:?}; log:\n{}", ledger.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_listener_serves_devices() {
    let (_ledger, tls_port, ca, _certs) = Ledger::start_with_tls().await;
    // rustls is built with two crypto providers here (rmqtt brings the second), so pick one.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut options = rumqttc::MqttOptions::new("tls-device", "localhost", tls_port);
    let ca = std::fs::read(&ca).unwrap();
    options.set_credentials("00004", "demo").set_keep_alive(Duration::from_secs(5));
    options.set_transport(Transport::Tls(TlsConfiguration::Simple { ca, alpn: None, client_auth: None }));
    let device = tokio::time::timeout(WAIT, Client::connect(options)).await.unwrap().expect("TLS login");
    device.subscribe("bank/transfer/result/00004").await;
    let result =
        device.request("00004", json!({"id": Uuid::now_v7(), "to": "00005", "amount": "50"}).to_string()).await;
    assert!(matches!(result, bank_protocol::TransferResult::Accepted { version: 1, .. }), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ledger_on_the_same_data_directory_exits_at_once() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let data_dir = ledger.data_dir.path().display().to_string();
    let other_port = format!("127.0.0.1:{}", crate::harness::free_port());
    let started = std::time::Instant::now();
    let (code, stderr) = ledger_service(&["--data-dir", &data_dir, "--mqtt-listen", &other_port]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("already using the data directory") && stderr.contains(&data_dir), "{stderr}");
    assert!(stderr.contains(&format!("process {}", ledger.pid())), "names the other process: {stderr}");
    assert!(started.elapsed() < WAIT, "it waits for nothing");
    // The first one is unharmed.
    let device = ledger.connect("00001").await;
    device.subscribe("bank/transfer/result/00001").await;
    let result = device.request("00001", json!({"id": Uuid::now_v7(), "to": "00002", "amount": "1"}).to_string()).await;
    assert!(matches!(result, bank_protocol::TransferResult::Accepted { .. }), "{result:?}");
}
