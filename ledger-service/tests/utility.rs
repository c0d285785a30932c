//! bank-core's MQTT client utility against real brokers: a plain Mosquitto that lets
//! anyone in, and ledger-service with its ACLs, on the embedded broker and on Mosquitto.

#[allow(dead_code)] // the utility tests use only part of the contract harness
#[path = "contract/harness.rs"]
mod harness;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bank_core::session::UtilitySession;
use bank_core::utility::{Action, ConnectionForm, ExportFormat, HistoryRow, MqttVersion, UtilityView};
use harness::{Broker, Ledger, free_port};
use tempfile::TempDir;

const WAIT: Duration = Duration::from_secs(10);

/// Polls the utility's view until `wanted` holds, or fails with the last view.
async fn until(utility: &UtilitySession, what: &str, wanted: impl Fn(&UtilityView) -> bool) -> UtilityView {
    let started = Instant::now();
    loop {
        let view = utility.view();
        if wanted(&view) {
            return view;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}; the utility shows {view:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn row<'a>(view: &'a UtilityView, event: &str, topic: &str) -> Option<&'a HistoryRow> {
    view.history.iter().find(|row| row.event == event && row.topic == topic)
}

fn form(port: u16, username: &str, password: &str) -> ConnectionForm {
    ConnectionForm {
        host: "127.0.0.1".into(),
        port: port.to_string(),
        client_id: UtilitySession::default_client_id(),
        username: username.into(),
        password: password.into(),
        ..ConnectionForm::default()
    }
}

async fn connected(form: ConnectionForm) -> UtilitySession {
    let utility = UtilitySession::open(form.client_id.clone());
    utility.act(Action::Connect(form));
    until(&utility, "online", |view| view.connection_text == "Online").await;
    utility
}

/// A Mosquitto with no ledger and no ACL: anonymous clients may do anything.
struct PlainMosquitto {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl PlainMosquitto {
    fn start() -> PlainMosquitto {
        let dir = TempDir::new().unwrap();
        let port = free_port();
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(&config, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"))
            .unwrap();
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto must be installed for the utility tests: apt-get install mosquitto");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return PlainMosquitto { child, port, _dir: dir };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("mosquitto did not listen on {port}");
    }
}

impl Drop for PlainMosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn publishes_and_receives_at_every_qos_through_a_plain_mosquitto(version: MqttVersion) {
    let mosquitto = PlainMosquitto::start();
    let utility = connected(ConnectionForm { version, ..form(mosquitto.port, "", "") }).await;
    utility.act(Action::Subscribe { filter: "utility/+/qos".into(), qos: 2 });
    let view = until(&utility, "the SUBACK", |view| row(view, "Subscribed", "utility/+/qos").is_some()).await;
    assert_eq!(view.subscriptions[0].status_text, "Granted QoS 2");

    for qos in 0..=2u8 {
        let topic = format!("utility/{qos}/qos");
        let message = format!("{{\"qos\":{qos}}}");
        utility.act(Action::Publish { topic: topic.clone(), message: message.clone(), qos, retained: false });
        let view = until(&utility, &format!("QoS {qos} both ways"), |view| {
            row(view, "Published", &topic).is_some() && row(view, "Received", &topic).is_some()
        })
        .await;
        let published = row(&view, "Published", &topic).unwrap();
        assert_eq!(
            (published.message.as_str(), published.qos_text.as_str()),
            (message.as_str(), qos.to_string().as_str())
        );
        let received = row(&view, "Received", &topic).unwrap();
        assert_eq!(
            (received.message.as_str(), received.qos_text.as_str()),
            (message.as_str(), qos.to_string().as_str())
        );
        assert_eq!(received.retained_text, "no");
    }

    // A retained message comes back flagged when a new subscription replays it.
    utility.act(Action::Publish { topic: "utility/kept".into(), message: "kept".into(), qos: 1, retained: true });
    until(&utility, "the retained publication", |view| row(view, "Published", "utility/kept").is_some()).await;
    utility.act(Action::Subscribe { filter: "utility/kept".into(), qos: 1 });
    let view = until(&utility, "the retained replay", |view| row(view, "Received", "utility/kept").is_some()).await;
    assert_eq!(row(&view, "Received", "utility/kept").unwrap().retained_text, "yes");
    assert!(view.tree.iter().any(|row| row.retained_text.as_deref() == Some("Retained: kept")), "{:?}", view.tree);

    utility.act(Action::Unsubscribe { filter: "utility/+/qos".into() });
    let view = until(&utility, "the UNSUBACK", |view| row(view, "Unsubscribed", "utility/+/qos").is_some()).await;
    assert_eq!(view.subscriptions.len(), 1);
    let csv = utility.export(ExportFormat::Csv);
    assert!(csv.text.starts_with("Event,Topic,Message,QoS,Retained,Time\n"), "{}", csv.text);
    assert!(csv.text.contains("Received,utility/1/qos,\"{\"\"qos\"\":1}\",1,no,"), "{}", csv.text);

    utility.act(Action::Disconnect);
    assert_eq!(utility.view().connection_text, "Disconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_3_1_1_publishes_and_receives_at_every_qos_through_a_plain_mosquitto() {
    publishes_and_receives_at_every_qos_through_a_plain_mosquitto(MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_5_publishes_and_receives_at_every_qos_through_a_plain_mosquitto() {
    publishes_and_receives_at_every_qos_through_a_plain_mosquitto(MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_a_missing_broker_are_worded() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let utility = UtilitySession::open("utility-wrong".into());
    utility.act(Action::Connect(form(ledger.port, "00001", "wrong")));
    let view = until(&utility, "the refusal", |view| view.connection_text.starts_with("Login failed")).await;
    assert!(view.connection_text.contains("Check"), "{}", view.connection_text);

    utility.act(Action::Connect(form(free_port(), "", "")));
    let view =
        until(&utility, "offline", |view| view.connection_text.starts_with("Offline: nothing is listening")).await;
    assert!(view.history.last().unwrap().message.starts_with("Cannot connect: nothing is listening at 127.0.0.1:"));
}

async fn a_customer_sees_its_own_balance_and_is_denied_anothers(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let utility = connected(form(ledger.port, "00001", "demo")).await;
    utility.act(Action::Subscribe { filter: "bank/balanceUpdate/00001".into(), qos: 1 });
    utility.act(Action::Subscribe { filter: "bank/balanceUpdate/00002".into(), qos: 1 });
    utility.act(Action::Subscribe { filter: "bank/transfer/result/00001".into(), qos: 1 });
    let view = until(&utility, "the retained balance and the denial", |view| {
        row(view, "Received", "bank/balanceUpdate/00001").is_some()
            && row(view, "Error", "bank/balanceUpdate/00002").is_some()
    })
    .await;
    let balance = row(&view, "Received", "bank/balanceUpdate/00001").unwrap();
    assert_eq!(balance.retained_text, "yes");
    assert!(balance.message.contains("\"balance\":\"1000.00\""), "{}", balance.message);
    let denied = view.subscriptions.iter().find(|row| row.filter == "bank/balanceUpdate/00002").unwrap();
    assert_eq!((denied.status_text.as_str(), denied.denied), ("Denied by the broker", true));

    // A transfer request typed by hand, as the protocol document shows it.
    let request = r#"{"id":"0193a7c4-5b6e-7c3d-8f21-4a5b6c7d8e9f","to":"00002","amount":"5.00","memo":"by hand"}"#;
    utility.act(Action::Publish {
        topic: "bank/transfer/request/00001".into(),
        message: request.into(),
        qos: 1,
        retained: false,
    });
    let view =
        until(&utility, "the transfer's result", |view| row(view, "Received", "bank/transfer/result/00001").is_some())
            .await;
    let result = row(&view, "Received", "bank/transfer/result/00001").unwrap();
    assert!(result.message.contains("\"status\":\"accepted\""), "{}", result.message);
    assert!(result.message.contains("\"balance\":\"995.00\""), "{}", result.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_customer_sees_its_own_balance_and_is_denied_anothers() {
    a_customer_sees_its_own_balance_and_is_denied_anothers(Broker::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_a_customer_sees_its_own_balance_and_is_denied_anothers() {
    a_customer_sees_its_own_balance_and_is_denied_anothers(Broker::Mosquitto).await;
}

/// MQTT 5 brokers say why: the SUBACK's and the PUBACK's reason codes reach the history.
async fn mqtt_5_shows_the_brokers_reason_codes(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let utility = connected(ConnectionForm { version: MqttVersion::V5, ..form(ledger.port, "00001", "demo") }).await;
    assert!(utility.view().history[0].message.contains("(MQTT 5, clean session)"));
    utility.act(Action::Subscribe { filter: "bank/balanceUpdate/00002".into(), qos: 1 });
    let view = until(&utility, "the denial", |view| row(view, "Error", "bank/balanceUpdate/00002").is_some()).await;
    let denied = row(&view, "Error", "bank/balanceUpdate/00002").unwrap();
    assert!(
        denied.message.starts_with("Subscription denied: the broker's SUBACK says NotAuthorized."),
        "{}",
        denied.message
    );
    let request = r#"{"id":"0193a7c4-5b6e-7c3d-8f21-4a5b6c7d8e90","to":"00001","amount":"5.00"}"#;
    let topic = "bank/transfer/request/00002";
    utility.act(Action::Publish { topic: topic.into(), message: request.into(), qos: 1, retained: false });
    let view = until(&utility, "the refused publication", |view| row(view, "Error", topic).is_some()).await;
    assert_eq!(row(&view, "Error", topic).unwrap().message, "The broker refused the publication: NotAuthorized.");
    assert!(row(&view, "Published", topic).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_mqtt_5_shows_the_brokers_reason_codes() {
    mqtt_5_shows_the_brokers_reason_codes(Broker::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_mqtt_5_shows_the_brokers_reason_codes() {
    mqtt_5_shows_the_brokers_reason_codes(Broker::Mosquitto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_over_tls_with_a_ca_file() {
    let (ledger, tls_port, ca, _certs) = Ledger::start_with_tls().await;
    let form = ConnectionForm { tls: true, ca_file: ca.display().to_string(), ..form(tls_port, "00001", "demo") };
    let utility = connected(form).await;
    drop(ledger);
    drop(utility);

    let utility = UtilitySession::open("utility-ca".into());
    let form = ConnectionForm { tls: true, ca_file: "/nonexistent/ca.pem".into(), ..self::form(tls_port, "", "") };
    utility.act(Action::Connect(form));
    let text = utility.view().connection_text;
    assert!(text.starts_with("Login failed: the CA file /nonexistent/ca.pem cannot be read"), "{text}");
}
