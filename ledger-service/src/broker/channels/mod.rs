//! What the embedded broker records about its clients for the operator's channel status:
//! each client's connection, subscriptions, and the messages and bytes it sent and
//! received. rmqtt keeps no per-client counts, so [`hook`] counts them here.
//!
//! Bounded: at most [`CLIENTS_KEPT_MAX`] clients, the newest; a disconnected client is
//! forgotten after [`DISCONNECTED_KEPT`] or when a newer one needs its place. Totals
//! count every client, kept or not.

pub mod hook;
pub mod publisher;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bank_protocol::{
    BrokerStatus, ChannelStatus, ChannelTotals, ClientChannel, DisconnectReason, ListenerProtocol, ListenerStatus,
    Timestamp, topics,
};

pub const CLIENTS_KEPT_MAX: usize = BrokerStatus::CLIENTS_MAX;
pub const DISCONNECTED_KEPT: Duration = Duration::from_secs(15 * 60);
/// Subscriptions remembered per client; the count goes on past it.
const SUBSCRIPTIONS_KEPT_MAX: usize = BrokerStatus::SUBSCRIPTIONS_MAX;

/// A listener as it was bound; its connection count is kept by the recorder.
#[derive(Clone, Debug)]
pub struct Listener {
    /// rmqtt's listener id, which each session carries.
    pub id: u16,
    pub name: String,
    pub protocol: ListenerProtocol,
    pub address: SocketAddr,
    pub connections_max: u64,
}

/// A connection as its CONNECT packet described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub username: String,
    pub address: Option<SocketAddr>,
    pub listener: u16,
    pub protocol_level: u8,
    pub keepalive_s: u16,
    pub clean_session: bool,
    /// Tells this connection from a later one with the same client id.
    pub session_key: i64,
}

#[derive(Debug)]
struct Record {
    connection: Connection,
    connected_at: Timestamp,
    /// When it connected or disconnected, whichever is later: what "newest" means.
    changed: Instant,
    disconnected: Option<(Timestamp, DisconnectReason)>,
    subscriptions: BTreeSet<String>,
    subscriptions_count: u32,
    counts: Counts,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub messages_received: u64,
    pub messages_sent: u64,
    pub bytes_received: u64,
    pub bytes_sent: u64,
}

impl Counts {
    fn add(&mut self, direction: Direction, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        match direction {
            Direction::Received => {
                self.messages_received = self.messages_received.saturating_add(1);
                self.bytes_received = self.bytes_received.saturating_add(bytes);
            }
            Direction::Sent => {
                self.messages_sent = self.messages_sent.saturating_add(1);
                self.bytes_sent = self.bytes_sent.saturating_add(bytes);
            }
        }
    }
}

/// Seen from the broker: received from the client, or sent to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Received,
    Sent,
}

#[derive(Default)]
struct Records {
    clients: HashMap<String, Record>,
    connections_by_listener: HashMap<u16, u64>,
    clients_connected: u64,
    totals: Counts,
    /// Bumped on every change, so the publisher knows when there is something new.
    revision: u64,
}

#[derive(Default)]
pub struct Recorder {
    records: Mutex<Records>,
    listeners: Mutex<Vec<Listener>>,
    stopped: std::sync::atomic::AtomicBool,
}

impl Recorder {
    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add_listener(&self, listener: Listener) {
        self.listeners.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(listener);
    }

    /// The broker's server task ended: no listener accepts connections any more.
    pub fn listeners_stopped(&self) {
        self.stopped.store(true, std::sync::atomic::Ordering::SeqCst);
        self.records().revision += 1;
    }

    /// A client connected; `subscriptions` are those its resumed session already has.
    pub fn connected(&self, client_id: &str, connection: Connection, subscriptions: Vec<String>, now: Instant) {
        let mut records = self.records();
        *records.connections_by_listener.entry(connection.listener).or_default() += 1;
        records.clients_connected += 1;
        records.revision += 1;
        if !records.clients.contains_key(client_id) {
            records.make_room(now);
        }
        let subscriptions_count = u32::try_from(subscriptions.len()).unwrap_or(u32::MAX);
        let record = Record {
            connection,
            connected_at: Timestamp::now(),
            changed: now,
            disconnected: None,
            subscriptions: subscriptions.into_iter().take(SUBSCRIPTIONS_KEPT_MAX).collect(),
            subscriptions_count,
            counts: Counts::default(),
        };
        records.clients.insert(client_id.to_string(), record);
    }

    /// A connection ended. Its listener's count drops even if the client is no longer kept.
    pub fn disconnected(
        &self,
        client_id: &str,
        listener: u16,
        session_key: i64,
        reason: DisconnectReason,
        now: Instant,
    ) {
        let mut records = self.records();
        if let Some(count) = records.connections_by_listener.get_mut(&listener) {
            *count = count.saturating_sub(1);
        }
        records.clients_connected = records.clients_connected.saturating_sub(1);
        records.revision += 1;
        // A taken-over connection ends after its successor connected: the successor stays.
        if let Some(record) = records.clients.get_mut(client_id).filter(|r| r.connection.session_key == session_key) {
            record.disconnected = Some((Timestamp::now(), reason));
            record.changed = now;
        }
    }

    pub fn subscribed(&self, client_id: &str, filter: &str) {
        let mut records = self.records();
        records.revision += 1;
        let Some(record) = records.clients.get_mut(client_id) else { return };
        if record.subscriptions.contains(filter) {
            return;
        }
        record.subscriptions_count = record.subscriptions_count.saturating_add(1);
        if record.subscriptions.len() < SUBSCRIPTIONS_KEPT_MAX {
            record.subscriptions.insert(filter.to_string());
        }
    }

    pub fn unsubscribed(&self, client_id: &str, filter: &str) {
        let mut records = self.records();
        records.revision += 1;
        let Some(record) = records.clients.get_mut(client_id) else { return };
        record.subscriptions.remove(filter);
        record.subscriptions_count = record.subscriptions_count.saturating_sub(1);
    }

    /// One PUBLISH to or from `client_id`. The status snapshots themselves are not
    /// counted: each publish of one would change the next, and it would never settle.
    pub fn message(&self, client_id: &str, topic: &str, payload_bytes: usize, direction: Direction) {
        if topic == topics::BROKER_STATUS {
            return;
        }
        let mut records = self.records();
        records.revision += 1;
        records.totals.add(direction, payload_bytes);
        if let Some(record) = records.clients.get_mut(client_id) {
            record.counts.add(direction, payload_bytes);
        }
    }

    /// Increases with every change.
    pub fn revision(&self) -> u64 {
        self.records().revision
    }

    /// The status now, newest clients first; forgets disconnected clients past [`DISCONNECTED_KEPT`].
    pub fn snapshot(&self, now: Instant) -> ChannelStatus {
        let running = !self.stopped.load(std::sync::atomic::Ordering::SeqCst);
        let listeners = self.listeners.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let mut records = self.records();
        records.forget_old(now);
        let listeners = listeners
            .iter()
            .take(BrokerStatus::LISTENERS_MAX)
            .map(|listener| ListenerStatus {
                name: listener.name.clone(),
                protocol: listener.protocol,
                address: listener.address.ip().to_string(),
                port: listener.address.port(),
                running,
                connections: records.connections_by_listener.get(&listener.id).copied().unwrap_or(0),
                connections_max: listener.connections_max,
            })
            .collect();
        let mut newest: Vec<(&String, &Record)> = records.clients.iter().collect();
        newest.sort_by_key(|(_, record)| (record.disconnected.is_some(), std::cmp::Reverse(record.changed)));
        let clients: Vec<ClientChannel> = newest.iter().map(|(id, record)| channel(id, record)).collect();
        let totals = ChannelTotals {
            clients_connected: records.clients_connected,
            clients_omitted: 0,
            messages_received: records.totals.messages_received,
            messages_sent: records.totals.messages_sent,
            bytes_received: records.totals.bytes_received,
            bytes_sent: records.totals.bytes_sent,
        };
        ChannelStatus { at: Timestamp::now(), listeners, clients, totals }
    }
}

impl Records {
    fn forget_old(&mut self, now: Instant) {
        let before = self.clients.len();
        self.clients.retain(|_, record| {
            record.disconnected.is_none() || now.saturating_duration_since(record.changed) < DISCONNECTED_KEPT
        });
        if self.clients.len() != before {
            self.revision += 1;
        }
    }

    /// Frees a place for one more client: the oldest disconnected one goes, else the oldest connected.
    fn make_room(&mut self, now: Instant) {
        self.forget_old(now);
        if self.clients.len() < CLIENTS_KEPT_MAX {
            return;
        }
        let oldest = self
            .clients
            .iter()
            .min_by_key(|(_, record)| (record.disconnected.is_none(), record.changed))
            .map(|(id, _)| id.clone());
        if let Some(oldest) = oldest {
            self.clients.remove(&oldest);
        }
    }
}

fn channel(client_id: &str, record: &Record) -> ClientChannel {
    let connection = &record.connection;
    ClientChannel {
        client_id: cut(client_id),
        username: cut(&connection.username),
        address: connection.address.map(|address| address.to_string()),
        protocol_level: connection.protocol_level,
        keepalive_s: connection.keepalive_s,
        clean_session: connection.clean_session,
        connected_at: record.connected_at,
        disconnected_at: record.disconnected.map(|(at, _)| at),
        disconnect_reason: record.disconnected.map(|(_, reason)| reason),
        subscriptions: record.subscriptions.iter().map(|filter| cut(filter)).collect(),
        subscriptions_count: record.subscriptions_count,
        messages_received: record.counts.messages_received,
        messages_sent: record.counts.messages_sent,
        bytes_received: record.counts.bytes_received,
        bytes_sent: record.counts.bytes_sent,
    }
}

/// Client ids and filters can be 64 KiB long; the snapshot carries their start.
fn cut(text: &str) -> String {
    text.chars().take(BrokerStatus::TEXT_CHARS_MAX).collect()
}

/// The snapshot as published: clients dropped, oldest first, until it fits [`BrokerStatus::BYTES_MAX`].
pub fn fitted(mut status: ChannelStatus) -> Vec<u8> {
    let known = status.clients.len();
    status.clients.truncate(BrokerStatus::CLIENTS_MAX);
    // Each round keeps a share of the clients in proportion to the excess: a few rounds at most.
    for _ in 0..8 {
        status.totals.clients_omitted = u64::try_from(known - status.clients.len()).unwrap_or(u64::MAX);
        let json = BrokerStatus::Embedded(status.clone()).json();
        if json.len() <= BrokerStatus::BYTES_MAX {
            return json;
        }
        let keep = status.clients.len() * BrokerStatus::BYTES_MAX / json.len() * 9 / 10;
        status.clients.truncate(keep);
    }
    status.totals.clients_omitted = u64::try_from(known).unwrap_or(u64::MAX);
    status.clients.clear();
    BrokerStatus::Embedded(status).json()
}

#[cfg(test)]
mod tests;
