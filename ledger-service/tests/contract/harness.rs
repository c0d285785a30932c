//! Starts real brokers and real ledger processes on ephemeral loopback ports, and
//! speaks to them with a real MQTT client.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bank_protocol::{AccountId, BalanceUpdate, TransferResult, topics};
use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, Packet, Publish, QoS, SubscribeReasonCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::mpsc;

pub const WAIT: Duration = Duration::from_secs(10);
/// How long to listen for a message that must not come.
pub const QUIET: Duration = Duration::from_millis(700);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broker {
    Embedded,
    Mosquitto,
}

/// A ledger-service process, and the Mosquitto it uses if any. Both die with this value.
pub struct Ledger {
    pub broker: Broker,
    pub port: u16,
    pub data_dir: TempDir,
    process: Option<Child>,
    mosquitto: Option<Child>,
    extra_args: Vec<String>,
}

impl Ledger {
    pub async fn start(broker: Broker) -> Ledger {
        Ledger::start_with(broker, Vec::new()).await
    }

    pub async fn start_with(broker: Broker, extra_args: Vec<String>) -> Ledger {
        let data_dir = TempDir::new().unwrap();
        let port = free_port();
        let mosquitto = (broker == Broker::Mosquitto).then(|| start_mosquitto(data_dir.path(), port));
        let mut ledger = Ledger { broker, port, data_dir, process: None, mosquitto, extra_args };
        ledger.spawn().await;
        ledger
    }

    /// An embedded-broker ledger that also listens for TLS, with a throwaway CA. Returns
    /// the TLS port, the CA's PEM file, and the directory holding it.
    pub async fn start_with_tls() -> (Ledger, u16, PathBuf, TempDir) {
        let certs = TempDir::new().unwrap();
        let (ca, cert, key) = make_certificates(certs.path());
        let tls_port = free_port();
        let args = vec![
            "--mqtts-listen".to_string(),
            format!("127.0.0.1:{tls_port}"),
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
        ];
        (Ledger::start_with(Broker::Embedded, args).await, tls_port, ca, certs)
    }

    /// Starts the ledger process (again) on the same data directory, and waits until it is online.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.path().join("ledger.log"))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_ledger-service"));
        command.arg("--data-dir").arg(self.data_dir.path()).args(&self.extra_args);
        // Only the web tests serve the page, each on a port of its own.
        if !self.extra_args.iter().any(|arg| arg == "--http-listen") {
            command.arg("--no-http");
        }
        match self.broker {
            Broker::Embedded => command.arg("--mqtt-listen").arg(format!("127.0.0.1:{}", self.port)),
            Broker::Mosquitto => command.arg("--broker").arg(format!("mqtt://ledger:ledger@127.0.0.1:{}", self.port)),
        };
        command
            .env("RUST_LOG", "info,ledger_service::service::worker=debug")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.process = Some(command.spawn().expect("ledger-service starts"));
        let status = self.connect_retrying("operator", "operator").await;
        status.subscribe(topics::LEDGER_STATUS).await;
        let online = status.wait_for(topics::LEDGER_STATUS, |payload| payload["online"] == true).await;
        assert!(online.is_some(), "ledger did not come online; log:\n{}", self.log());
    }

    pub fn pid(&self) -> u32 {
        self.process.as_ref().expect("ledger is running").id()
    }

    #[allow(dead_code)] // for the throughput bench's CPU accounting
    pub fn mosquitto_pid(&self) -> Option<u32> {
        self.mosquitto.as_ref().map(Child::id)
    }

    /// `kill -9`: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().unwrap();
            process.wait().unwrap();
        }
    }

    /// Stops Mosquitto alone; the ledger keeps running and reconnects when it is back.
    /// `kill -9` loses what Mosquitto had not saved yet (it saves every `autosave_interval`);
    /// SIGTERM saves sessions, queued and retained messages to the persistence directory.
    #[allow(dead_code)] // for the jepsen test's nemesis
    pub fn stop_mosquitto(&mut self, kill_9: bool) {
        let mut mosquitto = self.mosquitto.take().expect("this ledger runs with Mosquitto");
        if kill_9 {
            mosquitto.kill().unwrap();
        } else {
            Command::new("kill").arg("-TERM").arg(mosquitto.id().to_string()).status().unwrap();
        }
        mosquitto.wait().unwrap();
    }

    /// Starts Mosquitto again on the same port, config and persistence directory.
    #[allow(dead_code)] // for the jepsen test's nemesis
    pub fn restart_mosquitto(&mut self) {
        assert!(self.broker == Broker::Mosquitto && self.mosquitto.is_none(), "Mosquitto is not stopped");
        self.mosquitto = Some(run_mosquitto(self.data_dir.path(), self.port));
    }

    /// Waits for the ledger to exit by itself, and returns its exit status.
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        let process = self.process.as_mut().expect("ledger is running");
        loop {
            if let Some(status) = process.try_wait().unwrap() {
                self.process = None;
                return status;
            }
            assert!(tokio::time::Instant::now() < deadline, "ledger still running; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut process = self.process.take().expect("ledger is running");
        Command::new("kill").arg("-TERM").arg(process.id().to_string()).status().unwrap();
        process.wait().unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("ledger.log")).unwrap_or_default()
    }

    pub async fn connect(&self, account: &str) -> Client {
        self.connect_as(account, "demo").await
    }

    pub async fn connect_as(&self, user: &str, password: &str) -> Client {
        Client::connect(self.options(user, password))
            .await
            .unwrap_or_else(|error| panic!("{user} cannot connect: {error}"))
    }

    /// Connects once the broker listens: an embedded broker needs a moment after the process starts.
    async fn connect_retrying(&self, user: &str, password: &str) -> Client {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match Client::connect(self.options(user, password)).await {
                Ok(client) => return client,
                Err(error) if tokio::time::Instant::now() > deadline => {
                    panic!("no broker on {}: {error}; log:\n{}", self.port, self.log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    pub fn options(&self, user: &str, password: &str) -> MqttOptions {
        let mut options =
            MqttOptions::new(format!("test-{user}-{}", uuid::Uuid::new_v4().simple()), "127.0.0.1", self.port);
        options
            .set_credentials(user, password)
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(1 << 20, 1 << 20);
        options
    }

    /// Every account's retained balance, as the operator sees it.
    pub async fn balances(&self) -> Vec<BalanceUpdate> {
        let operator = self.connect_as("operator", "operator").await;
        operator.subscribe("bank/balanceUpdate/+").await;
        let mut balances = std::collections::BTreeMap::new();
        while balances.len() < 5 {
            let publish = operator.next(WAIT).await.expect("five retained balances");
            let update = serde_json::from_slice::<BalanceUpdate>(&publish.payload).unwrap();
            balances.insert(update.account, update);
        }
        balances.into_values().collect()
    }

    pub async fn balance(&self, account: &str) -> BalanceUpdate {
        let id = AccountId::parse(account).unwrap();
        self.balances().await.into_iter().find(|update| update.account == id).unwrap()
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.kill();
        if let Some(mut mosquitto) = self.mosquitto.take() {
            let _ = mosquitto.kill();
            let _ = mosquitto.wait();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Runs Mosquitto with the shipped config and dynamic-security file, moved to a free port and a temp dir.
pub fn start_mosquitto(dir: &Path, port: u16) -> Child {
    let shipped = repo_root().join("deploy/mosquitto");
    let dynsec = dir.join("dynamic-security.json");
    std::fs::copy(shipped.join("dynamic-security.json"), &dynsec).unwrap();
    let persistence = dir.join("mosquitto/");
    std::fs::create_dir_all(&persistence).unwrap();
    let config = std::fs::read_to_string(shipped.join("mosquitto.conf"))
        .unwrap()
        .replace("listener 1883 127.0.0.1", &format!("listener {port} 127.0.0.1"))
        .replace("deploy/mosquitto/dynamic-security.json", dynsec.to_str().unwrap())
        .replace("ledger-data/mosquitto/", persistence.to_str().unwrap());
    assert!(config.contains(&format!("listener {port}")), "mosquitto.conf no longer has the expected listener line");
    std::fs::write(dir.join("mosquitto.conf"), config).unwrap();
    run_mosquitto(dir, port)
}

/// Runs Mosquitto on the config `start_mosquitto` wrote in `dir`, and waits until it listens.
fn run_mosquitto(dir: &Path, port: u16) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("mosquitto.log")).unwrap();
    let mut child = Command::new("mosquitto")
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("mosquitto must be installed for the contract tests: apt-get install mosquitto");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "mosquitto did not listen on {port}: {}",
        std::fs::read_to_string(dir.join("mosquitto.log")).unwrap_or_default()
    );
}

/// The `id` of a request payload, or `null` if it is not a UUID string.
pub fn readable_id(payload: &[u8]) -> Value {
    let id = serde_json::from_slice::<Value>(payload).ok().and_then(|value| value.get("id").cloned());
    id.filter(|id| id.as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())).unwrap_or(Value::Null)
}

/// A device or operator connection. Its event loop runs on its own task.
pub struct Client {
    pub client: AsyncClient,
    messages: tokio::sync::Mutex<mpsc::UnboundedReceiver<Publish>>,
    subacks: tokio::sync::Mutex<mpsc::UnboundedReceiver<Vec<SubscribeReasonCode>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Client {
    /// Connects and waits for the CONNACK; a refused login is an error.
    pub async fn connect(options: MqttOptions) -> Result<Client, ConnectionError> {
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        loop {
            match tokio::time::timeout(WAIT, eventloop.poll()).await.expect("CONNACK in time") {
                Ok(Event::Incoming(Packet::ConnAck(_))) => break,
                Ok(_) => continue,
                Err(error) => return Err(error),
            }
        }
        let (message_tx, messages) = mpsc::unbounded_channel();
        let (suback_tx, subacks) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(publish))) => drop(message_tx.send(publish)),
                    Ok(Event::Incoming(Packet::SubAck(ack))) => drop(suback_tx.send(ack.return_codes)),
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        Ok(Client { client, messages: messages.into(), subacks: subacks.into(), task })
    }

    /// Subscribes at QoS 1 and asserts the broker granted it.
    pub async fn subscribe(&self, filter: &str) {
        let codes = self.try_subscribe(filter, QoS::AtLeastOnce).await;
        assert!(matches!(codes[..], [SubscribeReasonCode::Success(_)]), "subscription to {filter} refused: {codes:?}");
    }

    pub async fn try_subscribe(&self, filter: &str, qos: QoS) -> Vec<SubscribeReasonCode> {
        self.client.subscribe(filter, qos).await.unwrap();
        let mut subacks = self.subacks.lock().await;
        tokio::time::timeout(WAIT, subacks.recv()).await.expect("SUBACK in time").expect("connection open")
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client.publish(topic, QoS::AtLeastOnce, false, payload.into()).await.unwrap();
    }

    pub async fn next(&self, timeout: Duration) -> Option<Publish> {
        let mut messages = self.messages.lock().await;
        tokio::time::timeout(timeout, messages.recv()).await.ok().flatten()
    }

    /// The next message on `topic` whose JSON payload satisfies `wanted`; others are skipped.
    pub async fn wait_for(&self, topic: &str, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let publish = self.next(left).await?;
            let payload: Value = serde_json::from_slice(&publish.payload).unwrap_or(Value::Null);
            if publish.topic == topic && wanted(&payload) {
                return Some(payload);
            }
        }
    }

    /// Sends a transfer request and returns the ledger's result for it.
    /// The caller must already be subscribed to its result topic.
    pub async fn request(&self, payer: &str, payload: impl Into<Vec<u8>>) -> TransferResult {
        let payload = payload.into();
        self.request_expecting(payer, readable_id(&payload), payload).await
    }

    /// Like [`Client::request`], for a result whose `id` is `expected_id`.
    pub async fn request_expecting(&self, payer: &str, expected_id: Value, payload: Vec<u8>) -> TransferResult {
        let id = expected_id;
        self.publish(&format!("bank/transfer/request/{payer}"), payload).await;
        let result = self.wait_for(&format!("bank/transfer/result/{payer}"), |result| result["id"] == id).await;
        serde_json::from_value(result.expect("a result for the request")).unwrap()
    }

    /// Stops the connection without a DISCONNECT, as a phone losing its network would.
    pub fn drop_connection(self) {
        self.task.abort();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A throwaway CA and a `localhost` server certificate signed by it, made with the openssl CLI.
pub fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name).display().to_string();
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let steps: [Vec<String>; 3] = [
        [
            "req",
            "-x509",
            "-days",
            "1",
            "-subj",
            "/CN=MQTT Banking test CA",
            "-keyout",
            &path("ca.key"),
            "-out",
            &path("ca.pem"),
        ]
        .iter()
        .chain(&ec)
        .map(|s| s.to_string())
        .collect(),
        ["req", "-subj", "/CN=localhost", "-keyout", &path("key.pem"), "-out", &path("server.csr")]
            .iter()
            .chain(&ec)
            .map(|s| s.to_string())
            .collect(),
        ["x509", "-req", "-days", "1", "-in", &path("server.csr"), "-CA", &path("ca.pem"), "-CAkey", &path("ca.key")]
            .iter()
            .chain(&["-CAcreateserial", "-extfile", &path("san.ext"), "-out", &path("cert.pem")])
            .map(|s| s.to_string())
            .collect(),
    ];
    for args in steps {
        let made =
            Command::new("openssl").args(&args).output().expect("openssl must be installed: apt-get install openssl");
        assert!(made.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&made.stderr));
    }
    (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"))
}
