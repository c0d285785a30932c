//! The broker's channel status: who is connected, over which listener, and how much
//! each client sent and received. The embedded broker records it; an external broker
//! records nothing, and the ledger says so. Published retained on `bank/broker/status`,
//! for the operator only.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Published retained to `bank/broker/status`, at most once a second and only when it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "broker", rename_all = "snake_case")]
pub enum BrokerStatus {
    /// The ledger's own broker, which records every client.
    Embedded(ChannelStatus),
    /// `--broker`: an external broker such as Mosquitto, whose clients the ledger cannot see.
    External {
        /// When the ledger said so.
        at: Timestamp,
    },
}

impl BrokerStatus {
    /// Clients listed at most: the newest first; the totals still count every one.
    pub const CLIENTS_MAX: usize = 1000;
    /// Listeners listed at most.
    pub const LISTENERS_MAX: usize = 8;
    /// Subscriptions listed per client; `subscriptions` counts them all.
    pub const SUBSCRIPTIONS_MAX: usize = 8;
    /// Longest client id, username, filter or reason listed; longer ones are cut.
    pub const TEXT_CHARS_MAX: usize = 80;
    /// A snapshot is cut (oldest clients first) to stay under this; operators read packets up to 1 MiB.
    pub const BYTES_MAX: usize = 768 * 1024;

    pub fn at(&self) -> Timestamp {
        match self {
            BrokerStatus::Embedded(status) => status.at,
            BrokerStatus::External { at } => *at,
        }
    }

    pub fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a broker status always serialises")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStatus {
    /// When the broker took this snapshot: a snapshot older than one already shown is stale.
    pub at: Timestamp,
    pub listeners: Vec<ListenerStatus>,
    /// Newest first: connected clients by when they connected, then disconnected ones.
    pub clients: Vec<ClientChannel>,
    pub totals: ChannelTotals,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerProtocol {
    MqttTcp,
    MqttTls,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerStatus {
    pub name: String,
    pub protocol: ListenerProtocol,
    /// The address it listens on, without the port: `0.0.0.0`, `127.0.0.1`, `::`.
    pub address: String,
    pub port: u16,
    /// Accepting connections.
    pub running: bool,
    pub connections: u64,
    pub connections_max: u64,
}

/// One client, as the broker saw it. Counts are the broker's: "sent" went to the client,
/// "received" came from it, as in MQ Explorer. Bytes are payload bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientChannel {
    pub client_id: String,
    pub username: String,
    /// The client's `ip:port`.
    pub address: Option<String>,
    /// The CONNECT packet's protocol level: 3 (MQTT 3.1), 4 (3.1.1) or 5.
    pub protocol_level: u8,
    pub keepalive_s: u16,
    pub clean_session: bool,
    pub connected_at: Timestamp,
    /// `None` while connected.
    pub disconnected_at: Option<Timestamp>,
    pub disconnect_reason: Option<DisconnectReason>,
    /// At most [`BrokerStatus::SUBSCRIPTIONS_MAX`] filters.
    pub subscriptions: Vec<String>,
    /// Every subscription, listed or not.
    pub subscriptions_count: u32,
    pub messages_received: u64,
    pub messages_sent: u64,
    pub bytes_received: u64,
    pub bytes_sent: u64,
}

/// Why a client's connection ended, as the broker saw it; the explorer words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectReason {
    /// The client sent DISCONNECT: a clean goodbye.
    ClientDisconnected,
    /// The network connection closed without a DISCONNECT.
    ConnectionClosed,
    /// Nothing arrived within 1.5 keepalives.
    KeepaliveTimeout,
    /// Another connection took over its client id.
    TakenOver,
    NetworkError,
    BrokerShutdown,
    /// Anything else, including reasons newer brokers add.
    #[serde(other)]
    Other,
}

/// Over every client since the broker started, listed or not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTotals {
    pub clients_connected: u64,
    /// Clients the broker knows of but did not list (over [`BrokerStatus::CLIENTS_MAX`] or the byte bound).
    pub clients_omitted: u64,
    pub messages_received: u64,
    pub messages_sent: u64,
    pub bytes_received: u64,
    pub bytes_sent: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_kinds_have_the_documented_shape() {
        let at = Timestamp::parse("2026-11-24T23:15:55.123Z").unwrap();
        let external = BrokerStatus::External { at };
        assert_eq!(
            serde_json::to_value(&external).unwrap(),
            json!({"broker": "external", "at": "2026-11-24T23:15:55.123Z"})
        );
        let listener = ListenerStatus {
            name: "mqtt".into(),
            protocol: ListenerProtocol::MqttTcp,
            address: "0.0.0.0".into(),
            port: 1883,
            running: true,
            connections: 1,
            connections_max: 10_000,
        };
        let embedded = BrokerStatus::Embedded(ChannelStatus {
            at,
            listeners: vec![listener],
            clients: Vec::new(),
            totals: ChannelTotals::default(),
        });
        let value = serde_json::to_value(&embedded).unwrap();
        assert_eq!(value["broker"], "embedded");
        assert_eq!(value["listeners"][0]["protocol"], "mqtt_tcp");
        assert_eq!(serde_json::from_value::<BrokerStatus>(value).unwrap(), embedded);
    }
}
