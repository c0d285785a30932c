//! The running service: the embedded broker (unless `--broker` names one), the ledger's
//! MQTT connection, and the group-commit worker, wired together and shut down in order.

mod connection;
mod feed;
mod publisher;
mod store_thread;
mod tokens;
mod web;
mod worker;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bank_protocol::{Online, topics};
use rumqttc::QoS;
use tokio::sync::{mpsc, watch};

pub use connection::Endpoint;

use crate::broker::{BrokerSettings, EmbeddedBroker, Pace, TlsListener, channels};
use crate::cli::RunArgs;
use crate::config::Config;
use crate::ledger::{SqliteStore, StoreError};
use crate::login::Logins;
use crate::login::tokens::TokenStore;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the ledger's MQTT client stopped: {0}")]
    Client(#[from] rumqttc::ClientError),
    #[error("the broker refused the ledger's login ({0}); check the user and password in --broker")]
    LoginRefused(String),
    #[error(
        "the broker refused the ledger's subscription to bank/transfer/request/+; give the ledger's user read access to bank/# in the broker's ACL"
    )]
    SubscriptionRefused,
    #[error("the ledger's database thread stopped unexpectedly")]
    StoreLost,
    #[error("a ledger task failed: {0}")]
    TaskFailed(String),
}

pub const DATABASE_FILE: &str = "ledger.sqlite3";
const LOCK_FILE: &str = "ledger.lock";
const SHUTDOWN_FLUSH_MAX: Duration = Duration::from_secs(3);
/// A worker stuck publishing to a broker that stopped answering must not block shutdown;
/// what it committed but did not publish is replayed to devices when they retry.
const SHUTDOWN_WORKER_MAX: Duration = Duration::from_secs(5);

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn run(args: RunArgs) -> Result<(), ServiceError> {
    let config = Config::load(args.config.as_deref()).map_err(ServiceError::Setup)?;
    let external = args.broker.as_deref().map(Endpoint::parse).transpose().map_err(ServiceError::Setup)?;
    let _lock = lock_data_dir(&args.data_dir)?;
    let store = open_store(&args, &config)?;
    let (endpoint, broker, tokens) = match external {
        Some(endpoint) => (endpoint, None, None),
        None => {
            let tokens = Arc::new(TokenStore::open(&args.data_dir.join(DATABASE_FILE))?);
            let (endpoint, broker) = start_embedded_broker(&args, &config, tokens.clone()).await?;
            (endpoint, Some(broker), Some(tokens))
        }
    };
    let web = web::start(&args, &endpoint, broker.is_some()).await?;
    print_banner(&args, &config, &endpoint, broker.is_some(), web.as_ref());

    let (client, eventloop) = endpoint.connect().map_err(ServiceError::Setup)?;
    let (request_tx, request_rx) = mpsc::channel(connection::REQUESTS_QUEUED_MAX);
    let (connections_tx, connections_rx) = watch::channel(0);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let recorder = broker.as_ref().map(EmbeddedBroker::channels);
    let status = channels::publisher::run(client.clone(), recorder, connections_rx.clone(), shutdown_rx.clone());
    let status = tokio::spawn(status);
    let feed = feed::Feed::load(&store)?;
    let worker = worker::Worker {
        client: client.clone(),
        store: store_thread::StoreThread::start(store)?,
        requests: request_rx,
        connections: connections_rx,
        batch_max: usize::from(args.batch_max),
        feed,
        tokens,
    };
    let mut pump = tokio::spawn(connection::pump(eventloop, request_tx, connections_tx));
    let mut worker = tokio::spawn(worker.run(shutdown_rx));

    let outcome = tokio::select! {
        signal = shutdown_signal() => signal,
        pumped = &mut pump => joined(pumped),
        worked = &mut worker => joined(worked),
    };
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    status.abort();
    if !worker.is_finished() && tokio::time::timeout(SHUTDOWN_WORKER_MAX, worker).await.is_err() {
        tracing::warn!("the broker stopped taking messages; shutting down without waiting for it");
    }
    if !pump.is_finished() {
        say_offline(&client).await;
        let _ = tokio::time::timeout(SHUTDOWN_FLUSH_MAX, pump).await;
    }
    // Browsers' sessions say goodbye while the broker is still there to hear it.
    if let Some(web) = web {
        web.stop().await;
    }
    if let Some(broker) = broker {
        broker.stop().await;
    }
    outcome
}

fn open_store(args: &RunArgs, config: &Config) -> Result<SqliteStore, ServiceError> {
    let path = args.data_dir.join(DATABASE_FILE);
    let store = SqliteStore::open(&path, &config.opening_balances())?;
    tracing::info!(path = %path.display(), "ledger database open");
    Ok(store)
}

/// Held while the service runs: two ledgers on one directory would write one SQLite file
/// and, with an external broker, take one client id from each other again and again.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, ServiceError> {
    let setup =
        |what: &str, error: std::io::Error| ServiceError::Setup(format!("cannot {what} {}: {error}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|error| setup("create data directory", error))?;
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|error| setup("open the lock file in", error))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(ServiceError::Setup(format!(
                "another ledger-service (process {}) is already using the data directory {}. Stop it first, or \
                 give this one its own --data-dir",
                holder.trim(),
                dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(error)) => return Err(setup("lock the data directory", error)),
    }
    use std::io::Write;
    file.set_len(0).and_then(|()| write!(file, "{}", std::process::id())).map_err(|error| setup("write", error))?;
    Ok(file)
}

async fn start_embedded_broker(
    args: &RunArgs,
    config: &Config,
    tokens: Arc<TokenStore>,
) -> Result<(Endpoint, EmbeddedBroker), ServiceError> {
    let ledger_password = uuid::Uuid::new_v4().simple().to_string();
    let users = Arc::new(config.users().with_ledger_password(ledger_password.clone()));
    let listens: Vec<SocketAddr> = [Some(args.mqtt_listen), args.mqtts_listen].into_iter().flatten().collect();
    if let Some(warning) = demo_password_warning(&listens, &users) {
        tracing::warn!("{warning}");
    }
    let tls = args.mqtts_listen.map(|listen| TlsListener {
        listen,
        cert: args.tls_cert.clone().expect("clap requires --tls-cert with --mqtts-listen"),
        key: args.tls_key.clone().expect("clap requires --tls-key with --mqtts-listen"),
    });
    let settings = BrokerSettings {
        listen: args.mqtt_listen,
        tls,
        logins: Logins::new(users, Some(tokens)),
        pace: Pace::new(args.publish_rate_max, args.publish_burst_max),
    };
    let broker = EmbeddedBroker::start(settings).await.map_err(ServiceError::Setup)?;
    let endpoint = Endpoint {
        host: loopback_for(args.mqtt_listen).ip().to_string(),
        port: args.mqtt_listen.port(),
        username: crate::access::LEDGER_USER.to_string(),
        password: ledger_password,
        tls: false,
    };
    Ok((endpoint, broker))
}

/// The address this process uses to reach its own listener.
fn loopback_for(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port()),
        ip if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), listen.port()),
        _ => listen,
    }
}

/// A warning when a listener is reachable from other machines while demo passwords still work.
fn demo_password_warning(listens: &[SocketAddr], users: &crate::access::Users) -> Option<String> {
    if listens.iter().all(|listen| listen.ip().is_loopback()) {
        return None;
    }
    let demo_users = users.with_demo_passwords();
    (!demo_users.is_empty()).then(|| {
        format!(
            "listening beyond this machine while {} still accept the published demo passwords, so anyone on the \
             network can log in and move their money. Use --config with your own password hashes, or --mqtt-listen \
             127.0.0.1:1883 to stay on this machine",
            demo_users.join(", ")
        )
    })
}

fn print_banner(args: &RunArgs, config: &Config, endpoint: &Endpoint, embedded: bool, web: Option<&web::Web>) {
    let mut lines = if embedded { mqtt_banner(args, config) } else { external_banner(endpoint) };
    if let Some(web) = web {
        lines.extend(phones_banner(web));
        if let Some(warning) = web_demo_password_warning(web, embedded, config) {
            tracing::warn!("{warning}");
        }
    }
    println!("{}", lines.join("\n"));
}

fn external_banner(endpoint: &Endpoint) -> Vec<String> {
    tracing::info!(host = %endpoint.host, port = endpoint.port, "using external broker (nothing embedded)");
    if endpoint.username == crate::access::LEDGER_USER && endpoint.password == "ledger" {
        tracing::warn!(
            "the ledger logs in with the password shipped in deploy/mosquitto; anyone who knows it can forge \
             balances. Regenerate the broker's users with deploy/mosquitto/make-dynsec.py before opening it to a network"
        );
    }
    Vec::new()
}

fn mqtt_banner(args: &RunArgs, config: &Config) -> Vec<String> {
    let mut lines = vec!["MQTT Banking ledger is up. Point devices at:".to_string()];
    for host in reachable_hosts(args.mqtt_listen) {
        lines.push(format!("  mqtt://{host}:{}", args.mqtt_listen.port()));
    }
    if let Some(listen) = args.mqtts_listen {
        for host in reachable_hosts(listen) {
            lines.push(format!("  mqtts://{host}:{}  (TLS)", listen.port()));
        }
    }
    if args.config.is_none() {
        let accounts: Vec<_> = config.accounts.iter().map(|account| account.number.to_string()).collect();
        lines.push(format!(
            "  demo logins: accounts {} with password `demo`; `operator` / `operator` (read-only)",
            accounts.join(", ")
        ));
    }
    lines.push(format!(
        "  try: mosquitto_sub -h 127.0.0.1 -p {} -u 00002 -P demo -t bank/balanceUpdate/00002 -v",
        args.mqtt_listen.port()
    ));
    lines
}

/// Every address a phone's browser can open, and a QR code of the first.
fn phones_banner(web: &web::Web) -> Vec<String> {
    if let Some(skipped) = &web.skipped {
        return vec![format!("Phones: {skipped}")];
    }
    let urls: Vec<String> = web
        .listening
        .iter()
        .flat_map(|(scheme, listen)| bank_web::phone_urls(scheme, &reachable_hosts(*listen), listen.port()))
        .collect();
    let mut lines: Vec<String> = urls.iter().map(|url| format!("Phones: open {url}")).collect();
    if let Some(qr) =
        urls.first().and_then(|url| bank_web::qr_code(url, std::io::IsTerminal::is_terminal(&std::io::stdout())))
    {
        lines.push(format!("Scan with a phone's camera to open {}:", urls[0]));
        lines.extend(qr.lines().map(|line| format!("  {line}")));
    }
    lines
}

/// Passwords typed on a phone cross the network in the clear over plain HTTP.
fn web_demo_password_warning(web: &web::Web, embedded: bool, config: &Config) -> Option<String> {
    let plain: Vec<SocketAddr> =
        web.listening.iter().filter(|(scheme, _)| *scheme == "http").map(|(_, listen)| *listen).collect();
    if !embedded || plain.iter().all(|listen| listen.ip().is_loopback()) {
        return None;
    }
    let demo_users = config.users().with_demo_passwords();
    (!demo_users.is_empty()).then(|| {
        format!(
            "the page for phones is served over plain HTTP beyond this machine while {} still accept the published \
             demo passwords: anyone on the network can sign in, and passwords typed on phones cross it unencrypted. \
             Use --config with your own password hashes and --https-listen, or --http-listen 127.0.0.1:8080",
            demo_users.join(", ")
        )
    })
}

/// The addresses other machines can use to reach a listener: every interface for `0.0.0.0`.
fn reachable_hosts(listen: SocketAddr) -> Vec<String> {
    if !listen.ip().is_unspecified() {
        return vec![listen.ip().to_string()];
    }
    let mut hosts: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|interface| !interface.is_loopback() && interface.ip().is_ipv4())
        .map(|interface| interface.ip().to_string())
        .collect();
    hosts.push("127.0.0.1".to_string());
    hosts
}

async fn say_offline(client: &rumqttc::AsyncClient) {
    let _ = client.publish(topics::LEDGER_STATUS, QoS::AtLeastOnce, true, Online::json(false)).await;
    let _ = client.disconnect().await;
}

async fn shutdown_signal() -> Result<(), ServiceError> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|error| ServiceError::Setup(format!("cannot listen for SIGTERM: {error}")))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

fn joined(outcome: Result<Result<(), ServiceError>, tokio::task::JoinError>) -> Result<(), ServiceError> {
    outcome.map_err(|error| ServiceError::TaskFailed(error.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_passwords_on_a_network_listener_are_warned_about() {
        let demo = Config::load(None).unwrap().users();
        let anywhere: SocketAddr = "0.0.0.0:1883".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:1883".parse().unwrap();
        let warning = demo_password_warning(&[loopback, anywhere], &demo).expect("a warning");
        assert!(warning.contains("00001, 00002, 00003, 00004, 00005, operator"), "{warning}");
        assert_eq!(demo_password_warning(&[loopback], &demo), None);
        let own = crate::access::Users::new(Default::default(), Some(crate::config::hash_password("s3cret").unwrap()));
        assert_eq!(demo_password_warning(&[anywhere], &own), None);
    }
}
