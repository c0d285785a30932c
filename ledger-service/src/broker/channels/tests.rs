//! The recorder, event by event, with no broker.

use super::*;

fn connection(username: &str, port: u16, session_key: i64) -> Connection {
    Connection {
        username: username.into(),
        address: Some(SocketAddr::from(([127, 0, 0, 1], port))),
        listener: 1,
        protocol_level: 4,
        keepalive_s: 20,
        clean_session: false,
        session_key,
    }
}

fn recorder() -> Recorder {
    let recorder = Recorder::default();
    recorder.add_listener(Listener {
        id: 1,
        name: "mqtt".into(),
        protocol: ListenerProtocol::MqttTcp,
        address: "0.0.0.0:1883".parse().unwrap(),
        connections_max: 1_000_000,
    });
    recorder
}

fn client<'a>(status: &'a ChannelStatus, client_id: &str) -> &'a ClientChannel {
    status.clients.iter().find(|client| client.client_id == client_id).expect(client_id)
}

#[test]
fn messages_and_bytes_are_counted_per_client_and_in_total() {
    let recorder = recorder();
    let now = Instant::now();
    recorder.connected("phone", connection("00001", 50001, 1), vec!["bank/balanceUpdate/00001".into()], now);
    recorder.connected("ledger", connection("ledger", 50002, 2), Vec::new(), now);
    recorder.message("phone", "bank/transfer/request/00001", 60, Direction::Received);
    recorder.message("ledger", "bank/balanceUpdate/00001", 80, Direction::Received);
    recorder.message("phone", "bank/balanceUpdate/00001", 80, Direction::Sent);
    recorder.message("phone", "bank/transfer/result/00001", 70, Direction::Sent);
    // The snapshots themselves are not counted, or every publish would change the next.
    recorder.message("ledger", topics::BROKER_STATUS, 5000, Direction::Received);
    let status = recorder.snapshot(now);
    let phone = client(&status, "phone");
    assert_eq!((phone.messages_received, phone.bytes_received), (1, 60));
    assert_eq!((phone.messages_sent, phone.bytes_sent), (2, 150));
    assert_eq!((phone.username.as_str(), phone.address.as_deref()), ("00001", Some("127.0.0.1:50001")));
    assert_eq!((phone.keepalive_s, phone.protocol_level, phone.clean_session), (20, 4, false));
    assert_eq!(phone.subscriptions, ["bank/balanceUpdate/00001"]);
    assert_eq!(client(&status, "ledger").messages_received, 1);
    assert_eq!((status.totals.messages_received, status.totals.bytes_received), (2, 140));
    assert_eq!((status.totals.messages_sent, status.totals.clients_connected), (2, 2));
    assert_eq!(status.listeners[0].connections, 2);
    assert_eq!((status.listeners[0].address.as_str(), status.listeners[0].port), ("0.0.0.0", 1883));
}

#[test]
fn a_disconnect_is_recorded_with_its_reason_and_a_new_connection_resets_the_counts() {
    let recorder = recorder();
    let now = Instant::now();
    recorder.connected("watch", connection("00001", 50001, 1), Vec::new(), now);
    recorder.message("watch", "bank/balanceUpdate/00001", 10, Direction::Sent);
    let before = recorder.revision();
    recorder.disconnected("watch", 1, 1, DisconnectReason::ClientDisconnected, now);
    assert!(recorder.revision() > before, "a disconnect is a change to publish");
    let status = recorder.snapshot(now);
    let watch = client(&status, "watch");
    assert!(watch.disconnected_at.is_some());
    assert_eq!((watch.disconnect_reason, watch.messages_sent), (Some(DisconnectReason::ClientDisconnected), 1));
    assert_eq!((status.totals.clients_connected, status.listeners[0].connections), (0, 0));
    recorder.connected("watch", connection("00001", 50009, 2), Vec::new(), now);
    let status = recorder.snapshot(now);
    let watch = client(&status, "watch");
    assert_eq!(
        (watch.disconnected_at, watch.messages_sent, watch.address.as_deref()),
        (None, 0, Some("127.0.0.1:50009"))
    );
}

#[test]
fn a_taken_over_connection_ending_late_leaves_its_successor_connected() {
    let recorder = recorder();
    let now = Instant::now();
    recorder.connected("phone", connection("00001", 50001, 1), Vec::new(), now);
    recorder.connected("phone", connection("00001", 50002, 2), Vec::new(), now);
    recorder.disconnected("phone", 1, 1, DisconnectReason::TakenOver, now);
    let status = recorder.snapshot(now);
    assert_eq!(client(&status, "phone").disconnected_at, None);
    assert_eq!(status.totals.clients_connected, 1);
}

#[test]
fn subscriptions_follow_subscribe_and_unsubscribe_and_are_bounded() {
    let recorder = recorder();
    let now = Instant::now();
    recorder.connected("operator", connection("operator", 50001, 1), Vec::new(), now);
    for n in 0..SUBSCRIPTIONS_KEPT_MAX + 5 {
        recorder.subscribed("operator", &format!("bank/presence/0000{n}/+"));
    }
    recorder.subscribed("operator", "bank/presence/00000/+"); // again: no new subscription
    recorder.unsubscribed("operator", "bank/presence/00000/+");
    let status = recorder.snapshot(now);
    let operator = client(&status, "operator");
    assert_eq!(operator.subscriptions_count, u32::try_from(SUBSCRIPTIONS_KEPT_MAX + 4).unwrap());
    assert_eq!(operator.subscriptions.len(), SUBSCRIPTIONS_KEPT_MAX - 1);
    assert!(!operator.subscriptions.contains(&"bank/presence/00000/+".to_string()));
}

#[test]
fn at_most_the_newest_clients_are_kept_and_the_snapshot_stays_small() {
    let recorder = recorder();
    let start = Instant::now();
    let long_id = "x".repeat(10_000);
    recorder.connected(&long_id, connection("00001", 1, 0), vec!["f".repeat(10_000)], start);
    recorder.disconnected(&long_id, 1, 0, DisconnectReason::KeepaliveTimeout, start);
    for n in 0..CLIENTS_KEPT_MAX + 500 {
        let at = start + Duration::from_millis(u64::try_from(n).unwrap() + 1);
        recorder.connected(&format!("client-{n:05}"), connection("00002", 2, 0), Vec::new(), at);
        recorder.message(&format!("client-{n:05}"), "bank/transfer/request/00002", 1, Direction::Received);
    }
    let status = recorder.snapshot(start + Duration::from_secs(1));
    assert_eq!(status.clients.len(), CLIENTS_KEPT_MAX);
    assert_eq!(status.clients[0].client_id, format!("client-{:05}", CLIENTS_KEPT_MAX + 499), "newest first");
    assert!(status.clients.iter().all(|client| client.client_id.len() <= BrokerStatus::TEXT_CHARS_MAX));
    // Evicted clients still count.
    assert_eq!(status.totals.messages_received, u64::try_from(CLIENTS_KEPT_MAX + 500).unwrap());
    assert_eq!(status.totals.clients_connected, u64::try_from(CLIENTS_KEPT_MAX + 500).unwrap());
    let json = fitted(status);
    assert!(json.len() <= BrokerStatus::BYTES_MAX, "{} bytes", json.len());
}

#[test]
fn disconnected_clients_are_forgotten_after_a_while() {
    let recorder = recorder();
    let now = Instant::now();
    recorder.connected("gone", connection("00001", 1, 1), Vec::new(), now);
    recorder.connected("here", connection("00001", 2, 2), Vec::new(), now);
    recorder.disconnected("gone", 1, 1, DisconnectReason::ConnectionClosed, now);
    assert_eq!(recorder.snapshot(now + DISCONNECTED_KEPT / 2).clients.len(), 2);
    let later = recorder.snapshot(now + DISCONNECTED_KEPT);
    let ids: Vec<&str> = later.clients.iter().map(|client| client.client_id.as_str()).collect();
    assert_eq!(ids, ["here"]);
}

#[test]
fn an_oversized_snapshot_is_cut_to_the_byte_bound_oldest_clients_first() {
    let recorder = recorder();
    let now = Instant::now();
    let filters: Vec<String> = (0..SUBSCRIPTIONS_KEPT_MAX).map(|n| format!("{n}{}", "f".repeat(200))).collect();
    for n in 0..CLIENTS_KEPT_MAX {
        let id = format!("{n:04}{}", "c".repeat(200));
        let at = now + Duration::from_millis(u64::try_from(n).unwrap());
        recorder.connected(&id, connection(&"u".repeat(200), 1, 0), filters.clone(), at);
    }
    let json = fitted(recorder.snapshot(now + Duration::from_secs(1)));
    assert!(json.len() <= BrokerStatus::BYTES_MAX, "{} bytes", json.len());
    let BrokerStatus::Embedded(status) = serde_json::from_slice(&json).unwrap() else { panic!("embedded") };
    assert!(status.clients.len() > 500, "{} clients", status.clients.len());
    assert_eq!(status.totals.clients_omitted, u64::try_from(CLIENTS_KEPT_MAX - status.clients.len()).unwrap());
    assert!(status.clients[0].client_id.starts_with("0999"), "the newest stay");
}
