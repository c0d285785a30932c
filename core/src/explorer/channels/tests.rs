//! The Channels view, snapshot by snapshot, with no network.

use serde_json::{Value, json};

use crate::explorer::{Explorer, Input, OperatorView};
use chrono::{DateTime, FixedOffset};

const NOW: &str = "2026-11-24T23:40:00.000Z";

fn explorer() -> Explorer {
    let mut explorer = Explorer::new(FixedOffset::east_opt(0).unwrap());
    explorer.update(Input::Connected);
    explorer
}

fn status(payload: &Value) -> Input {
    let received_at = DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    Input::Message {
        topic: "bank/broker/status".into(),
        payload: payload.to_string().into_bytes(),
        retained: false,
        received_at,
    }
}

fn client(id: &str, user: &str, sent: u64, received: u64) -> Value {
    json!({
        "client_id": id, "username": user, "address": "127.0.0.1:50000", "protocol_level": 4,
        "keepalive_s": 20, "clean_session": false, "connected_at": "2026-11-24T23:15:00.000Z",
        "disconnected_at": null, "disconnect_reason": null,
        "subscriptions": ["bank/balanceUpdate/00001"], "subscriptions_count": 1,
        "messages_received": received, "messages_sent": sent, "bytes_received": received * 100, "bytes_sent": sent * 1500,
    })
}

fn embedded(at: &str, clients: Vec<Value>) -> Value {
    json!({
        "broker": "embedded", "at": at,
        "listeners": [
            {"name": "mqtts", "protocol": "mqtt_tls", "address": "0.0.0.0", "port": 8883, "running": true, "connections": 0, "connections_max": 1000000},
            {"name": "mqtt", "protocol": "mqtt_tcp", "address": "0.0.0.0", "port": 1883, "running": true, "connections": 2, "connections_max": 1000000},
        ],
        "clients": clients,
        "totals": {"clients_connected": 2, "clients_omitted": 0, "messages_received": 12, "messages_sent": 3400, "bytes_received": 999, "bytes_sent": 1234567},
    })
}

fn ids(view: &OperatorView) -> Vec<&str> {
    view.channels.clients.iter().map(|row| row.client_id.as_str()).collect()
}

#[test]
fn the_seed_columns_come_first_worded_by_the_core() {
    let mut explorer = explorer();
    let mut gone = client("bank-00001-watch", "00001", 7, 2);
    gone["disconnected_at"] = json!("2026-11-24T23:39:00.000Z");
    gone["disconnect_reason"] = json!("client_disconnected");
    explorer
        .update(status(&embedded("2026-11-24T23:40:00.000Z", vec![client("operator-1", "operator", 3400, 1), gone])));
    let view = explorer.view().channels;
    assert!(view.available);
    let titles: Vec<&str> = view.columns.iter().take(7).map(|column| column.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Client Id",
            "Channel status",
            "Conn name",
            "MQTT keep alive",
            "MCA user ID",
            "Messages sent",
            "Messages received"
        ]
    );
    assert_eq!(
        view.clients[0].cells,
        [
            "operator-1",
            "Connected",
            "127.0.0.1:50000",
            "20 s",
            "operator",
            "3,400",
            "1",
            "MQTT 3.1.1",
            "No",
            "Since Nov 24, 23:15",
            "bank/balanceUpdate/00001",
            "100 B",
            "5.1 MB",
        ]
    );
    assert_eq!(view.clients[1].cells[1], "Disconnected");
    assert_eq!(view.clients[1].cells[9], "Disconnected Nov 24, 23:39 (said goodbye)");
    assert!(!view.clients[1].connected);
    assert_eq!(view.status_text, "2 clients connected. Updated Nov 24, 23:40.");
    assert_eq!(view.shown_text, "2 clients");
    assert_eq!(view.totals_text, "Since the broker started: 3,400 messages sent, 12 received; 1.2 MB out, 999 B in.");
    assert_eq!(view.listeners[1].cells, ["mqtt", "MQTT over TCP", "0.0.0.0", "1883", "Running", "2", "1,000,000"]);
    assert_eq!(view.listeners[0].cells[1], "MQTT over TLS");
}

#[test]
fn any_column_sorts_both_ways_and_the_filter_matches_client_id_or_user() {
    let mut explorer = explorer();
    let clients =
        vec![client("b-phone", "00002", 5, 9), client("a-phone", "00001", 50, 1), client("ops", "operator", 7, 3)];
    explorer.update(status(&embedded("2026-11-24T23:40:00.000Z", clients)));
    assert_eq!(ids(&explorer.view()), ["b-phone", "a-phone", "ops"], "the broker's order (newest first) until sorted");
    explorer.update(Input::SortChannels { column: "messages_sent".into() });
    assert_eq!(ids(&explorer.view()), ["b-phone", "ops", "a-phone"], "numbers sort as numbers, not text");
    assert_eq!(explorer.view().channels.columns[5].sort_mark, "▲");
    explorer.update(Input::SortChannels { column: "messages_sent".into() });
    assert_eq!(ids(&explorer.view()), ["a-phone", "ops", "b-phone"]);
    assert_eq!(explorer.view().channels.columns[5].sort_mark, "▼");
    explorer.update(Input::SortChannels { column: "client_id".into() });
    assert_eq!(ids(&explorer.view()), ["a-phone", "b-phone", "ops"]);
    assert_eq!(explorer.view().channels.columns[5].sort_mark, "");
    explorer.update(Input::SortChannels { column: "no such column".into() });
    assert_eq!(ids(&explorer.view()), ["a-phone", "b-phone", "ops"]);

    explorer.update(Input::FilterChannels { text: "  OPER ".into() });
    assert_eq!(ids(&explorer.view()), ["ops"], "by user, ignoring case and spaces");
    explorer.update(Input::FilterChannels { text: "phone".into() });
    let view = explorer.view();
    assert_eq!((ids(&view), view.channels.shown_text.as_str()), (vec!["a-phone", "b-phone"], "2 of 3 clients"));
    // The filter and the sort outlive the next snapshot.
    explorer.update(status(&embedded("2026-11-24T23:40:01.000Z", vec![client("c-phone", "00003", 1, 1)])));
    assert_eq!(ids(&explorer.view()), ["c-phone"]);

    explorer.update(Input::SortChannels { column: "listener_port".into() });
    let ports: Vec<String> = explorer.view().channels.listeners.iter().map(|row| row.cells[3].clone()).collect();
    assert_eq!(ports, ["1883", "8883"]);
}

#[test]
fn an_external_broker_is_said_to_record_nothing() {
    let mut explorer = explorer();
    assert_eq!(explorer.view().channels.status_text, "Waiting for the broker's channel status…");
    explorer.update(status(&json!({"broker": "external", "at": "2026-11-24T23:40:00.000Z"})));
    let view = explorer.view().channels;
    assert!(!view.available);
    assert!(
        view.status_text.starts_with("Channel status is a feature of the ledger's embedded broker."),
        "{}",
        view.status_text
    );
    assert!(view.clients.is_empty() && view.listeners.is_empty());
}

#[test]
fn a_stale_snapshot_is_ignored_until_a_reconnect() {
    let mut explorer = explorer();
    explorer.update(status(&embedded("2026-11-24T23:40:05.000Z", vec![client("new", "00001", 1, 1)])));
    explorer.update(status(&embedded("2026-11-24T23:40:04.000Z", vec![client("old", "00001", 1, 1)])));
    let view = explorer.view();
    assert_eq!((ids(&view), view.ignored_messages), (vec!["new"], 0), "stale, not malformed");
    explorer.update(status(&json!({"broker": "external", "at": "2026-11-24T23:00:00.000Z"})));
    assert!(explorer.view().channels.available, "an old marker does not hide a newer snapshot");
    // A restarted ledger's clock may be behind: after a reconnect, the retained status is current.
    explorer.update(Input::Connected);
    explorer.update(status(&embedded("2026-11-24T23:30:00.000Z", vec![client("restarted", "00001", 1, 1)])));
    assert_eq!(ids(&explorer.view()), ["restarted"]);
}

#[test]
fn bad_payloads_are_counted_and_change_nothing() {
    let mut explorer = explorer();
    explorer.update(status(&embedded("2026-11-24T23:40:00.000Z", vec![client("phone", "00001", 1, 1)])));
    let before = explorer.view();
    let mut negative = client("x", "00001", 1, 1);
    negative["messages_sent"] = json!(-1);
    let bad = [
        json!("not an object"),
        json!({"broker": "embedded"}),
        json!({"broker": "mystery", "at": "2026-11-24T23:41:00.000Z"}),
        json!({"broker": "external", "at": "yesterday"}),
        embedded("2026-11-24T23:41:00.000Z", vec![negative]),
        embedded("2026-11-24T23:41:00.000Z", vec![json!({"client_id": 5})]),
    ];
    for payload in &bad {
        explorer.update(status(payload));
    }
    let received_at = DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let bytes =
        Input::Message { topic: "bank/broker/status".into(), payload: vec![0xff, 0x00], retained: true, received_at };
    explorer.update(bytes);
    let after = explorer.view();
    assert_eq!(after.ignored_messages, 7);
    assert_eq!(after.channels, before.channels);
}

#[test]
fn a_huge_snapshot_is_cut_to_the_bound_and_its_texts_cleaned() {
    let mut explorer = explorer();
    let long = format!("evil\u{7}\n{}", "x".repeat(500));
    let mut clients: Vec<Value> = (0..1100).map(|n| client(&format!("c{n:04}"), "00001", n, n)).collect();
    clients[0]["client_id"] = json!(long);
    clients[0]["subscriptions"] = json!(vec!["bank/#"; 50]);
    clients[0]["subscriptions_count"] = json!(50);
    let mut payload = embedded("2026-11-24T23:40:00.000Z", clients);
    payload["listeners"] = json!(vec![payload["listeners"][0].clone(); 100]);
    explorer.update(status(&payload));
    let view = explorer.view().channels;
    assert_eq!(view.clients.len(), 1000);
    assert_eq!(view.listeners.len(), 8);
    assert_eq!(view.clients[0].client_id, format!("evil{}", "x".repeat(76)));
    assert!(view.clients[0].cells[10].ends_with(" and 42 more"), "{}", view.clients[0].cells[10]);
    assert_eq!(view.omitted_text.as_deref(), Some("100 older clients are not listed."));
    explorer.update(Input::FilterChannels { text: "y".repeat(1000) });
    assert_eq!(explorer.view().channels.filter.len(), 80);
}
