//! The explorer's Channels view: MQ Explorer's "Telemetry Channel Status" and its
//! channels table, from the broker status the ledger publishes on `bank/broker/status`.
//! The payload is untrusted: lists are cut to the protocol's bounds, texts are cleaned,
//! and a snapshot older than the one shown is ignored. Sorting and filtering are inputs
//! like any other, so the shells only render rows the core has ordered and worded.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::clean;
use crate::app::{group_thousands, local_time};
use crate::protocol::{
    BrokerStatus, ChannelStatus, ChannelTotals, ClientChannel, DisconnectReason, ListenerProtocol, ListenerStatus,
    Timestamp,
};

/// The longest filter kept: client ids and users are cut to this in the snapshot too.
const FILTER_CHARS_MAX: usize = BrokerStatus::TEXT_CHARS_MAX;

/// The columns of the clients table, the seed's first; `key` is what a shell sends back to sort.
const CLIENT_COLUMNS: [(&str, &str); 13] = [
    ("client_id", "Client Id"),
    ("status", "Channel status"),
    ("conn_name", "Conn name"),
    ("keepalive", "MQTT keep alive"),
    ("user", "MCA user ID"),
    ("messages_sent", "Messages sent"),
    ("messages_received", "Messages received"),
    ("protocol", "Protocol"),
    ("clean_session", "Clean session"),
    ("since", "Connected since / disconnected at"),
    ("subscriptions", "Subscriptions"),
    ("bytes_received", "Bytes in"),
    ("bytes_sent", "Bytes out"),
];

const LISTENER_COLUMNS: [(&str, &str); 7] = [
    ("listener_name", "Name"),
    ("listener_protocol", "Protocol"),
    ("listener_address", "Address"),
    ("listener_port", "Port"),
    ("listener_status", "Status"),
    ("listener_connections", "Connections"),
    ("listener_connections_max", "Max connections"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sort {
    /// Index into the clients' columns, or into the listeners' past them.
    column: usize,
    descending: bool,
}

#[derive(Default)]
pub struct Channels {
    status: Option<BrokerStatus>,
    client_sort: Option<Sort>,
    listener_sort: Option<Sort>,
    filter: String,
    /// Set after a reconnect: the next status is shown whatever its time.
    any_time: bool,
    /// Rebuilt on every change, not on every view: a busy ledger asks for many views.
    view: ChannelsView,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelsView {
    /// Set when the broker reports its clients (the embedded broker does, external ones do not).
    pub available: bool,
    /// What the tables show, or why there are none.
    pub status_text: String,
    pub columns: Vec<ColumnHead>,
    pub clients: Vec<ChannelRow>,
    pub filter: String,
    pub filter_placeholder: String,
    /// `3 of 12 clients`, `12 clients`.
    pub shown_text: String,
    /// Set when the broker knows of more clients than it listed.
    pub omitted_text: Option<String>,
    /// Messages and bytes over every client since the broker started.
    pub totals_text: String,
    pub listener_columns: Vec<ColumnHead>,
    pub listeners: Vec<ListenerRow>,
    /// Why the web gateway is not in the listeners table.
    pub listeners_note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnHead {
    /// Sent back with `channels_sort` to sort by this column.
    pub key: String,
    pub title: String,
    /// `▲` ascending, `▼` descending, empty when not sorted by this column.
    pub sort_mark: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelRow {
    pub client_id: String,
    pub connected: bool,
    /// One text per column of [`ChannelsView::columns`], in order.
    pub cells: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListenerRow {
    pub running: bool,
    /// One text per column of [`ChannelsView::listener_columns`], in order.
    pub cells: Vec<String>,
}

impl Channels {
    pub fn new(offset: FixedOffset) -> Channels {
        let mut channels = Channels::default();
        channels.refresh(offset);
        channels
    }

    pub fn view(&self) -> &ChannelsView {
        &self.view
    }

    /// After a reconnect the broker's retained status is current, whatever its time: a
    /// restarted ledger's clock may be behind the one that wrote the last snapshot.
    pub fn reconnected(&mut self) {
        self.any_time = true;
    }

    /// Whether the payload was a broker status. A stale one is understood and ignored.
    pub fn receive(&mut self, payload: &[u8], offset: FixedOffset) -> bool {
        let Ok(status) = serde_json::from_slice::<BrokerStatus>(payload) else { return false };
        if !self.any_time && self.status.as_ref().is_some_and(|shown| status.at() < shown.at()) {
            return true;
        }
        self.any_time = false;
        self.status = Some(bounded(status));
        self.refresh(offset);
        true
    }

    /// Sorts by the column with this key: ascending, then descending on a second click.
    /// An unknown key (from a page of another version) changes nothing.
    pub fn sort(&mut self, key: &str, offset: FixedOffset) {
        let client = CLIENT_COLUMNS.iter().position(|(column, _)| *column == key);
        let listener = LISTENER_COLUMNS.iter().position(|(column, _)| *column == key);
        let (sort, column) = match (client, listener) {
            (Some(column), _) => (&mut self.client_sort, column),
            (None, Some(column)) => (&mut self.listener_sort, column),
            (None, None) => return,
        };
        let descending = sort.is_some_and(|sort| sort.column == column && !sort.descending);
        *sort = Some(Sort { column, descending });
        self.refresh(offset);
    }

    pub fn filter(&mut self, text: &str, offset: FixedOffset) {
        self.filter = clean(text, FILTER_CHARS_MAX);
        self.refresh(offset);
    }

    fn refresh(&mut self, offset: FixedOffset) {
        let columns = heads(&CLIENT_COLUMNS, self.client_sort);
        let listener_columns = heads(&LISTENER_COLUMNS, self.listener_sort);
        let filter_placeholder = "Filter by client id or user".to_string();
        let listeners_note = "The web gateway's WebSocket is not an MQTT listener: each browser's session reaches \
                              the broker as an MQTT client over a listener above."
            .to_string();
        let base = ChannelsView {
            columns,
            listener_columns,
            filter: self.filter.clone(),
            filter_placeholder,
            listeners_note,
            ..ChannelsView::default()
        };
        self.view = match &self.status {
            None => ChannelsView { status_text: "Waiting for the broker's channel status…".into(), ..base },
            Some(BrokerStatus::External { .. }) => ChannelsView { status_text: EXTERNAL.into(), ..base },
            Some(BrokerStatus::Embedded(status)) => self.embedded(status, offset, base),
        };
    }

    fn embedded(&self, status: &ChannelStatus, offset: FixedOffset, base: ChannelsView) -> ChannelsView {
        let needle = self.filter.to_lowercase();
        let mut clients: Vec<&ClientChannel> = status
            .clients
            .iter()
            .filter(|client| {
                needle.is_empty()
                    || client.client_id.to_lowercase().contains(&needle)
                    || client.username.to_lowercase().contains(&needle)
            })
            .collect();
        if let Some(sort) = self.client_sort {
            clients.sort_by(|a, b| ordered(compare_clients(a, b, sort.column), sort.descending));
        }
        let mut listeners: Vec<&ListenerStatus> = status.listeners.iter().collect();
        if let Some(sort) = self.listener_sort {
            listeners.sort_by(|a, b| ordered(compare_listeners(a, b, sort.column), sort.descending));
        }
        let listed = status.clients.len();
        let shown_text = match clients.len() == listed {
            true => plural(listed, "client"),
            false => format!("{} of {}", clients.len(), plural(listed, "client")),
        };
        let totals = &status.totals;
        ChannelsView {
            available: true,
            status_text: format!(
                "{} connected. Updated {}.",
                plural(usize::try_from(totals.clients_connected).unwrap_or(usize::MAX), "client"),
                local_time(status.at.utc(), offset)
            ),
            clients: clients.iter().map(|client| client_row(client, offset)).collect(),
            shown_text,
            omitted_text: (totals.clients_omitted > 0)
                .then(|| format!("{} older clients are not listed.", group_thousands(totals.clients_omitted))),
            totals_text: totals_text(totals),
            listeners: listeners.iter().map(|listener| listener_row(listener)).collect(),
            ..base
        }
    }
}

const EXTERNAL: &str = "Channel status is a feature of the ledger's embedded broker. This ledger runs with an \
                        external broker (--broker), which does not report its clients; use that broker's own tools \
                        to see them.";

fn heads(columns: &[(&str, &str)], sort: Option<Sort>) -> Vec<ColumnHead> {
    let mark = |index: usize| match sort {
        Some(Sort { column, descending: false }) if column == index => "▲",
        Some(Sort { column, descending: true }) if column == index => "▼",
        _ => "",
    };
    (columns.iter().enumerate())
        .map(|(index, (key, title))| ColumnHead {
            key: key.to_string(),
            title: title.to_string(),
            sort_mark: mark(index).to_string(),
        })
        .collect()
}

fn ordered(ordering: Ordering, descending: bool) -> Ordering {
    if descending { ordering.reverse() } else { ordering }
}

fn compare_clients(a: &ClientChannel, b: &ClientChannel, column: usize) -> Ordering {
    let text = |client: &ClientChannel| match column {
        0 => client.client_id.to_lowercase(),
        2 => client.address.clone().unwrap_or_default(),
        4 => client.username.to_lowercase(),
        10 => client.subscriptions.join(","),
        _ => String::new(),
    };
    let number = |client: &ClientChannel| match column {
        1 => u64::from(client.disconnected_at.is_some()),
        3 => u64::from(client.keepalive_s),
        5 => client.messages_sent,
        6 => client.messages_received,
        7 => u64::from(client.protocol_level),
        8 => u64::from(client.clean_session),
        10 => u64::from(client.subscriptions_count),
        11 => client.bytes_received,
        12 => client.bytes_sent,
        _ => 0,
    };
    let time = |client: &ClientChannel| client.disconnected_at.unwrap_or(client.connected_at);
    let by_column = match column {
        9 => time(a).cmp(&time(b)),
        _ => number(a).cmp(&number(b)).then_with(|| text(a).cmp(&text(b))),
    };
    // Ties keep a stable, readable order.
    by_column.then_with(|| a.client_id.cmp(&b.client_id))
}

fn compare_listeners(a: &ListenerStatus, b: &ListenerStatus, column: usize) -> Ordering {
    match column {
        1 => protocol_text(a.protocol).cmp(protocol_text(b.protocol)),
        2 => a.address.cmp(&b.address),
        3 => a.port.cmp(&b.port),
        4 => a.running.cmp(&b.running),
        5 => a.connections.cmp(&b.connections),
        6 => a.connections_max.cmp(&b.connections_max),
        _ => a.name.cmp(&b.name),
    }
    .then_with(|| a.name.cmp(&b.name))
}

fn client_row(client: &ClientChannel, offset: FixedOffset) -> ChannelRow {
    let connected = client.disconnected_at.is_none();
    let since = match (client.disconnected_at, client.disconnect_reason) {
        (None, _) => format!("Since {}", time(client.connected_at, offset)),
        (Some(at), reason) => {
            format!("Disconnected {} ({})", time(at, offset), reason_text(reason.unwrap_or(DisconnectReason::Other)))
        }
    };
    let cells = vec![
        client.client_id.clone(),
        if connected { "Connected" } else { "Disconnected" }.to_string(),
        client.address.clone().unwrap_or_else(|| "—".into()),
        match client.keepalive_s {
            0 => "Off".to_string(),
            seconds => format!("{seconds} s"),
        },
        client.username.clone(),
        group_thousands(client.messages_sent),
        group_thousands(client.messages_received),
        protocol_level_text(client.protocol_level),
        if client.clean_session { "Yes" } else { "No" }.to_string(),
        since,
        subscriptions_text(client),
        bytes_text(client.bytes_received),
        bytes_text(client.bytes_sent),
    ];
    ChannelRow { client_id: client.client_id.clone(), connected, cells }
}

fn listener_row(listener: &ListenerStatus) -> ListenerRow {
    let cells = vec![
        listener.name.clone(),
        protocol_text(listener.protocol).to_string(),
        listener.address.clone(),
        listener.port.to_string(),
        if listener.running { "Running" } else { "Stopped" }.to_string(),
        group_thousands(listener.connections),
        group_thousands(listener.connections_max),
    ];
    ListenerRow { running: listener.running, cells }
}

fn time(at: Timestamp, offset: FixedOffset) -> String {
    let at: DateTime<Utc> = at.utc();
    local_time(at, offset)
}

fn protocol_text(protocol: ListenerProtocol) -> &'static str {
    match protocol {
        ListenerProtocol::MqttTcp => "MQTT over TCP",
        ListenerProtocol::MqttTls => "MQTT over TLS",
    }
}

fn protocol_level_text(level: u8) -> String {
    match level {
        3 => "MQTT 3.1".into(),
        4 => "MQTT 3.1.1".into(),
        5 => "MQTT 5".into(),
        level => format!("MQTT level {level}"),
    }
}

fn reason_text(reason: DisconnectReason) -> &'static str {
    match reason {
        DisconnectReason::ClientDisconnected => "said goodbye",
        DisconnectReason::ConnectionClosed => "connection closed",
        DisconnectReason::KeepaliveTimeout => "keepalive expired",
        DisconnectReason::TakenOver => "replaced by a new connection",
        DisconnectReason::NetworkError => "network error",
        DisconnectReason::BrokerShutdown => "broker shut down",
        DisconnectReason::Other => "other reason",
    }
}

fn subscriptions_text(client: &ClientChannel) -> String {
    let listed = client.subscriptions.join(", ");
    let more =
        usize::try_from(client.subscriptions_count).unwrap_or(usize::MAX).saturating_sub(client.subscriptions.len());
    match (listed.is_empty(), more) {
        (true, 0) => "None".into(),
        (false, 0) => listed,
        (true, more) => format!("{more} more"),
        (false, more) => format!("{listed} and {more} more"),
    }
}

/// `950 B`, `12.3 KB`, `4.5 MB`: decimal units, one decimal.
fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn totals_text(totals: &ChannelTotals) -> String {
    format!(
        "Since the broker started: {} messages sent, {} received; {} out, {} in.",
        group_thousands(totals.messages_sent),
        group_thousands(totals.messages_received),
        bytes_text(totals.bytes_sent),
        bytes_text(totals.bytes_received)
    )
}

fn plural(count: usize, noun: &str) -> String {
    let count_text = group_thousands(u64::try_from(count).unwrap_or(u64::MAX));
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count_text} {noun}s"),
    }
}

/// Cuts an untrusted snapshot to the protocol's bounds and cleans every text in it.
fn bounded(status: BrokerStatus) -> BrokerStatus {
    let BrokerStatus::Embedded(mut status) = status else { return status };
    let text = |text: &str| clean(text, BrokerStatus::TEXT_CHARS_MAX);
    let known = status.clients.len();
    status.clients.truncate(BrokerStatus::CLIENTS_MAX);
    let cut = u64::try_from(known - status.clients.len()).unwrap_or(u64::MAX);
    status.totals.clients_omitted = status.totals.clients_omitted.saturating_add(cut);
    status.listeners.truncate(BrokerStatus::LISTENERS_MAX);
    for client in &mut status.clients {
        client.client_id = text(&client.client_id);
        client.username = text(&client.username);
        client.address = client.address.as_deref().map(text);
        client.subscriptions.truncate(BrokerStatus::SUBSCRIPTIONS_MAX);
        client.subscriptions = client.subscriptions.iter().map(|filter| text(filter)).collect();
    }
    for listener in &mut status.listeners {
        listener.name = text(&listener.name);
        listener.address = text(&listener.address);
    }
    BrokerStatus::Embedded(status)
}

#[cfg(test)]
mod tests;
