//! A broker with no ledger behind it, for the raw and echo rows: the embedded one in this
//! process on a runtime of its own (as ledger-service runs it), or a Mosquitto process with
//! the shipped config. Both die with the value.

use std::sync::Arc;
use std::time::Duration;

use ledger_service::broker::{BrokerSettings, EmbeddedBroker};
use ledger_service::config::Config;
use ledger_service::login::Logins;
use rumqttc::MqttOptions;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::harness::{self, Broker, Client};

pub struct Bare {
    pub port: u16,
    /// The ledger user's password: it may publish and subscribe anywhere under `bank/`.
    pub ledger_password: String,
    running: Running,
}

enum Running {
    Embedded { stop: Option<oneshot::Sender<()>>, thread: Option<std::thread::JoinHandle<()>> },
    Mosquitto { process: std::process::Child, _dir: TempDir },
}

impl Bare {
    pub fn start(broker: Broker) -> Bare {
        let port = harness::free_port();
        match broker {
            Broker::Embedded => Bare::embedded(port),
            Broker::Mosquitto => {
                let dir = TempDir::new().unwrap();
                let process = harness::start_mosquitto(dir.path(), port);
                Bare { port, ledger_password: "ledger".into(), running: Running::Mosquitto { process, _dir: dir } }
            }
        }
    }

    fn embedded(port: u16) -> Bare {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let users = Config::load(None).unwrap().users().with_ledger_password(password.clone());
        let settings = BrokerSettings {
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
            tls: None,
            logins: Logins::new(Arc::new(users), None),
            pace: None,
        };
        let (started_tx, started) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let broker = EmbeddedBroker::start(settings).await.expect("the embedded broker starts");
                started_tx.send(()).unwrap();
                let _ = stopped.await;
                broker.stop().await;
            });
        });
        started.recv_timeout(Duration::from_secs(10)).expect("the embedded broker listens");
        Bare { port, ledger_password: password, running: Running::Embedded { stop: Some(stop), thread: Some(thread) } }
    }

    /// The broker's own process, when it has one.
    pub fn pid(&self) -> Option<u32> {
        match &self.running {
            Running::Embedded { .. } => None,
            Running::Mosquitto { process, .. } => Some(process.id()),
        }
    }

    pub fn options(&self, user: &str, password: &str) -> MqttOptions {
        let mut options =
            MqttOptions::new(format!("bench-{user}-{}", uuid::Uuid::new_v4().simple()), "127.0.0.1", self.port);
        options
            .set_credentials(user, password)
            .set_keep_alive(Duration::from_secs(20))
            .set_max_packet_size(1 << 20, 1 << 20);
        options
    }

    pub async fn connect(&self, user: &str, password: &str) -> Client {
        Client::connect(self.options(user, password)).await.unwrap_or_else(|error| panic!("{user}: {error}"))
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        match &mut self.running {
            Running::Embedded { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Running::Mosquitto { process, .. } => {
                let _ = process.kill();
                let _ = process.wait();
            }
        }
    }
}
