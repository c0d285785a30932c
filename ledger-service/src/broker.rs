//! PLACEHOLDER until the rmqtt embedding lands.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::access::Users;

pub struct TlsListener {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub struct BrokerSettings {
    pub listen: SocketAddr,
    pub tls: Option<TlsListener>,
    pub users: Arc<Users>,
}

pub struct EmbeddedBroker;

impl EmbeddedBroker {
    pub async fn start(_settings: BrokerSettings) -> Result<EmbeddedBroker, String> {
        Err("not yet".into())
    }
    pub async fn stop(self) {}
}
