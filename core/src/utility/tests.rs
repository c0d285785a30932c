//! The utility, event by event, with no network.

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T05:41:22.123Z").unwrap().to_utc()
}

fn utility() -> Utility {
    Utility::new(FixedOffset::east_opt(0).unwrap(), "utility-1a2b3c4d".into())
}

fn form(host: &str) -> ConnectionForm {
    ConnectionForm { host: host.into(), client_id: "utility-1a2b3c4d".into(), ..ConnectionForm::default() }
}

fn act(utility: &mut Utility, action: Action) -> Vec<Effect> {
    utility.update(Event::Action(action), now())
}

/// Connected to a broker on 127.0.0.1:1883.
fn online() -> Utility {
    let mut utility = utility();
    let effects = act(&mut utility, Action::Connect(form("127.0.0.1")));
    assert!(matches!(effects.as_slice(), [Effect::Connect(_)]), "{effects:?}");
    utility.update(Event::Connected, now());
    utility
}

fn receive(utility: &mut Utility, topic: &str, payload: &[u8], retained: bool) {
    let event = Event::Received { topic: topic.into(), payload: payload.to_vec(), qos: 1, retained };
    utility.update(event, now());
}

fn last_row(utility: &Utility) -> HistoryRow {
    utility.view().history.last().cloned().expect("a history row")
}

#[test]
fn the_form_is_read_by_the_one_address_parser_with_its_options() {
    let full = ConnectionForm {
        host: "mqtts://bank.example.com".into(),
        port: "8884".into(),
        client_id: " me ".into(),
        clean_session: false,
        keepalive_secs: "20".into(),
        username: "00001".into(),
        password: "demo".into(),
        ca_file: "/etc/ca.pem".into(),
        will_topic: "bank/presence/00001/x".into(),
        will_message: "gone".into(),
        will_qos: 1,
        will_retained: true,
        ..ConnectionForm::default()
    };
    let options = full.check().unwrap();
    assert_eq!((options.host.as_str(), options.port, options.tls), ("bank.example.com", 8884, true));
    assert_eq!((options.client_id.as_str(), options.clean_session, options.keepalive_secs), ("me", false, 20));
    assert_eq!(options.credentials, Some(("00001".into(), "demo".into())));
    assert_eq!(options.ca_file.as_deref(), Some("/etc/ca.pem"));
    let will = options.will.unwrap();
    assert_eq!(
        (will.topic.as_str(), will.payload.as_slice(), will.qos, will.retained),
        ("bank/presence/00001/x", &b"gone"[..], 1, true)
    );
    // Ticking TLS is typing mqtts://, with its default port.
    let tls = ConnectionForm { tls: true, ..form("broker.local") }.check().unwrap();
    assert_eq!((tls.port, tls.tls), (8883, true));
    assert_eq!(form("laptop.local:1884").check().unwrap().port, 1884);

    let error = |form: ConnectionForm| form.check().unwrap_err();
    assert!(error(form("http://x")).contains("Use mqtt://host:1883"));
    assert!(error(ConnectionForm { port: "99999".into(), ..form("x") }).contains("'99999' is not a port"));
    assert!(error(ConnectionForm { client_id: " ".into(), ..form("x") }).contains("Enter a client id"));
    assert!(error(ConnectionForm { keepalive_secs: "-1".into(), ..form("x") }).contains("'-1' is not a keepalive"));
    assert!(error(ConnectionForm { password: "p".into(), ..form("x") }).contains("enter the user name too"));
    assert!(error(ConnectionForm { ca_file: "/ca.pem".into(), ..form("x") }).contains("tick TLS"));
    assert!(error(ConnectionForm { will_topic: "a/#".into(), ..form("x") }).starts_with("Last will: "));
    assert!(
        error(ConnectionForm { will_topic: "a".into(), will_qos: 3, ..form("x") }).contains("QoS 3 does not exist")
    );
}

#[test]
fn connecting_says_what_happens_in_the_cores_words() {
    let mut utility = utility();
    assert_eq!(utility.view().form.client_id, "utility-1a2b3c4d");
    assert_eq!(utility.view().connection_text, "Disconnected");
    assert!(act(&mut utility, Action::Connect(form("x:0"))).is_empty());
    assert!(utility.view().connect_error.unwrap().contains("'0' is not a port"));

    let secret = ConnectionForm { username: "00001".into(), password: "demo".into(), ..form("127.0.0.1") };
    act(&mut utility, Action::Connect(secret));
    let view = utility.view();
    assert_eq!((view.connection_text.as_str(), view.connect_error.as_deref()), ("Connecting…", None));
    assert_eq!(view.form.password, "", "the password never goes back to the window");
    assert!(!serde_json::to_string(&view).unwrap().contains("demo\""));
    let lost = |reason: &str| Event::Lost { reason: reason.into(), retry_in: Duration::from_millis(1500) };
    utility.update(lost("nothing is listening at 127.0.0.1:1883"), now());
    utility.update(lost("nothing is listening at 127.0.0.1:1883"), now());
    let view = utility.view();
    assert_eq!(view.connection_text, "Offline: nothing is listening at 127.0.0.1:1883. Retrying in 2 s");
    assert_eq!(view.history.len(), 1, "one failure row, however many retries");
    assert_eq!(view.history[0].event, "Error");
    utility.update(Event::Connected, now());
    let row = last_row(&utility);
    assert_eq!(
        (row.event.as_str(), row.message.as_str(), row.time_text.as_str()),
        ("Connected", "Connected to 127.0.0.1:1883 as utility-1a2b3c4d (MQTT 3.1.1, clean session).", "05:41:22.123")
    );
    assert_eq!(utility.view().connection_text, "Online");
    utility.update(lost("the broker stopped answering"), now());
    assert_eq!(last_row(&utility).message, "Connection lost: the broker stopped answering.");
    assert_eq!(act(&mut utility, Action::Disconnect), [Effect::Disconnect]);
    assert_eq!(
        (utility.view().connection_text.as_str(), last_row(&utility).event.as_str()),
        ("Disconnected", "Disconnected")
    );

    utility.update(Event::Refused { reason: "the broker refused the user name or password".into() }, now());
    act(&mut utility, Action::Connect(form("127.0.0.1")));
    utility.update(Event::Refused { reason: "the broker refused the user name or password".into() }, now());
    assert_eq!(utility.view().connection_text, "Login failed: the broker refused the user name or password");
}

#[test]
fn mqtt_5_connects_and_its_refusals_are_shown() {
    let mut utility = utility();
    let effects = act(&mut utility, Action::Connect(ConnectionForm { version: MqttVersion::V5, ..form("127.0.0.1") }));
    assert!(matches!(effects.as_slice(), [Effect::Connect(ConnectOptions { version: MqttVersion::V5, .. })]));
    utility.update(Event::Connected, now());
    assert_eq!(last_row(&utility).message, "Connected to 127.0.0.1:1883 as utility-1a2b3c4d (MQTT 5, clean session).");
    let refused = Event::PublishRefused { topic: "bank/x".into(), reason: "NotAuthorized".into() };
    utility.update(refused, now());
    let row = last_row(&utility);
    assert_eq!((row.event.as_str(), row.topic.as_str()), ("Error", "bank/x"));
    assert_eq!(row.message, "The broker refused the publication: NotAuthorized.");
}

#[test]
fn filters_and_topics_are_checked_with_clear_errors() {
    for good in ["#", "+", "bank/#", "bank/+/00001", "+/+/#", "/", "bank/balanceUpdate/00001", "$SYS/#"] {
        assert_eq!(check_filter(good), Ok(()), "{good}");
    }
    let bad = [
        ("", "Enter a topic filter"),
        ("bank/#/x", "# must be a whole level and the last one"),
        ("bank#", "# must be a whole level"),
        ("bank/a+", "+ must be a whole level"),
        ("a\0b", "NUL"),
    ];
    for (filter, words) in bad {
        let error = check_filter(filter).unwrap_err();
        assert!(error.contains(words), "{filter}: {error}");
    }
    assert!(check_filter(&"a".repeat(70_000)).unwrap_err().contains("at most 65535"));
    assert_eq!(check_topic("bank/transfer/request/00001"), Ok(()));
    assert!(check_topic("bank/+/x").unwrap_err().contains("Wildcards are for subscriptions"));
    assert!(check_topic("").unwrap_err().contains("Enter a topic"));

    let mut utility = utility();
    assert!(act(&mut utility, Action::Subscribe { filter: "bank/#".into(), qos: 1 }).is_empty());
    assert_eq!(utility.view().subscribe_error.as_deref(), Some("Not connected: connect to a broker first."));
    let mut utility = online();
    assert!(act(&mut utility, Action::Subscribe { filter: "bank/#/x".into(), qos: 1 }).is_empty());
    assert!(utility.view().subscribe_error.unwrap().contains("# must be a whole level"));
    assert!(act(&mut utility, Action::Subscribe { filter: "bank/#".into(), qos: 3 }).is_empty());
    assert!(utility.view().subscribe_error.unwrap().contains("QoS 3 does not exist"));
    let publish = Action::Publish { topic: "bank/+".into(), message: "x".into(), qos: 0, retained: false };
    assert!(act(&mut utility, publish).is_empty());
    assert!(utility.view().publish_error.unwrap().contains("has a wildcard"));
}

#[test]
fn a_failure_suback_shows_as_denied_and_granted_qos_as_granted() {
    let mut utility = online();
    let effects = act(&mut utility, Action::Subscribe { filter: "bank/balanceUpdate/00002".into(), qos: 1 });
    assert_eq!(effects, [Effect::Subscribe { filter: "bank/balanceUpdate/00002".into(), qos: 1 }]);
    act(&mut utility, Action::Subscribe { filter: "bank/balanceUpdate/00001".into(), qos: 2 });
    let statuses = |utility: &Utility| -> Vec<String> {
        utility
            .view()
            .subscriptions
            .iter()
            .map(|row| format!("{} {} / {}", row.filter, row.requested_text, row.status_text))
            .collect()
    };
    assert_eq!(
        statuses(&utility),
        [
            "bank/balanceUpdate/00002 QoS 1 requested / Waiting for the broker…",
            "bank/balanceUpdate/00001 QoS 2 requested / Waiting for the broker…",
        ]
    );
    utility.update(
        Event::SubAck { filter: "bank/balanceUpdate/00002".into(), granted: Err("Failure (0x80)".into()) },
        now(),
    );
    utility.update(Event::SubAck { filter: "bank/balanceUpdate/00001".into(), granted: Ok(1) }, now());
    assert_eq!(
        statuses(&utility),
        [
            "bank/balanceUpdate/00002 QoS 1 requested / Denied by the broker",
            "bank/balanceUpdate/00001 QoS 2 requested / Granted QoS 1",
        ]
    );
    let view = utility.view();
    assert!(view.subscriptions[0].denied);
    let denied = &view.history[view.history.len() - 2];
    assert_eq!(
        (denied.event.as_str(), denied.topic.as_str(), denied.error),
        ("Error", "bank/balanceUpdate/00002", true)
    );
    assert!(
        denied.message.starts_with("Subscription denied: the broker's SUBACK says Failure (0x80)."),
        "{}",
        denied.message
    );
    let granted = last_row(&utility);
    assert_eq!(
        (granted.event.as_str(), granted.message.as_str(), granted.qos_text.as_str()),
        ("Subscribed", "Granted QoS 1 (asked for 2).", "1")
    );

    // A denied subscription is not on the broker: removing it sends nothing.
    assert!(act(&mut utility, Action::Unsubscribe { filter: "bank/balanceUpdate/00002".into() }).is_empty());
    let effects = act(&mut utility, Action::Unsubscribe { filter: "bank/balanceUpdate/00001".into() });
    assert_eq!(effects, [Effect::Unsubscribe { filter: "bank/balanceUpdate/00001".into() }]);
    assert_eq!(statuses(&utility), ["bank/balanceUpdate/00001 QoS 2 requested / Unsubscribing…"]);
    utility.update(Event::UnsubAck { filter: "bank/balanceUpdate/00001".into() }, now());
    assert!(utility.view().subscriptions.is_empty());
    assert_eq!(last_row(&utility).event, "Unsubscribed");
    assert!(act(&mut utility, Action::Unsubscribe { filter: "nope".into() }).is_empty());
    assert!(utility.view().subscribe_error.unwrap().contains("no subscription to 'nope'"));
}

#[test]
fn a_clean_session_subscribes_again_after_a_reconnect() {
    let mut utility = online();
    act(&mut utility, Action::Subscribe { filter: "a/#".into(), qos: 2 });
    utility.update(Event::SubAck { filter: "a/#".into(), granted: Ok(2) }, now());
    utility.update(Event::Lost { reason: "gone".into(), retry_in: Duration::from_secs(1) }, now());
    let effects = utility.update(Event::Connected, now());
    assert_eq!(effects, [Effect::Subscribe { filter: "a/#".into(), qos: 2 }]);
}

#[test]
fn publications_and_received_messages_fill_the_history_columns() {
    let mut utility = online();
    let publish = Action::Publish { topic: "a/b".into(), message: "hello".into(), qos: 2, retained: true };
    let effects = act(&mut utility, publish);
    assert_eq!(effects, [Effect::Publish { topic: "a/b".into(), payload: b"hello".to_vec(), qos: 2, retained: true }]);
    utility.update(Event::Published { topic: "a/b".into(), payload: b"hello".to_vec(), qos: 2, retained: true }, now());
    receive(&mut utility, "a/b", b"hello", true);
    let rows: Vec<String> = utility.view().history[1..]
        .iter()
        .map(|row| {
            [&row.event, &row.topic, &row.message, &row.qos_text, &row.retained_text, &row.time_text]
                .map(|s| s.as_str())
                .join("|")
        })
        .collect();
    assert_eq!(rows, ["Published|a/b|hello|2|yes|05:41:22.123", "Received|a/b|hello|1|yes|05:41:22.123"]);
}

#[test]
fn the_history_is_bounded_and_says_how_many_rows_it_dropped() {
    let mut utility = online();
    for n in 0..ROWS_MAX + 25 {
        receive(&mut utility, "load", n.to_string().as_bytes(), false);
    }
    let view = utility.view();
    assert_eq!(view.history.len(), ROWS_MAX);
    assert_eq!(view.history[0].message, "25");
    assert_eq!(view.history_text, "1000 rows");
    assert_eq!(view.dropped_text.as_deref(), Some("26 older rows dropped (the history keeps the newest 1,000)."));
    // The selection survives by id; a dropped row cannot be opened.
    act(&mut utility, Action::ViewMessage(Some(0)));
    assert_eq!(utility.view().message, None);
    act(&mut utility, Action::ScrollLock(true));
    assert!(utility.view().scroll_lock);
    act(&mut utility, Action::ClearHistory);
    let view = utility.view();
    assert!(view.history.is_empty() && view.tree.is_empty());
    assert_eq!((view.dropped_text, view.history_text.as_str()), (None, "0 rows"));
}

#[test]
fn view_message_pretty_prints_json_and_diffs_against_the_previous_one_on_its_topic() {
    let mut utility = online();
    receive(&mut utility, "bank/balanceUpdate/00001", br#"{"account":"00001","balance":"1000.00","version":0}"#, true);
    receive(&mut utility, "elsewhere", b"{}", false);
    receive(&mut utility, "bank/balanceUpdate/00001", br#"{"account":"00001","balance":"995.00","version":1}"#, false);
    let first = utility.view().history[1].id;
    let second = last_row(&utility).id;

    act(&mut utility, Action::ViewMessage(Some(first)));
    let message = utility.view().message.unwrap();
    assert_eq!(message.title, "Received on bank/balanceUpdate/00001 at 05:41:22.123, QoS 1, retained");
    assert_eq!((message.format, message.format_text.as_str()), (Some(Format::Json), "JSON, pretty-printed"));
    assert_eq!(message.text, "{\n  \"account\": \"00001\",\n  \"balance\": \"1000.00\",\n  \"version\": 0\n}");
    assert_eq!(message.diff_text, "No earlier message on this topic in the history to compare with.");
    assert!(utility.view().history[1].selected);

    act(&mut utility, Action::ViewMessage(Some(second)));
    let message = utility.view().message.unwrap();
    assert_eq!(message.diff_text, "Changes since the previous message on this topic, at 05:41:22.123:");
    let diff: Vec<String> = message.diff.iter().map(|line| format!("{}{}", line.sign, line.text)).collect();
    assert_eq!(
        diff,
        [
            " {",
            "   \"account\": \"00001\",",
            "-  \"balance\": \"1000.00\",",
            "-  \"version\": 0",
            "+  \"balance\": \"995.00\",",
            "+  \"version\": 1",
            " }",
        ]
    );
    act(&mut utility, Action::ViewMessage(None));
    assert_eq!(utility.view().message, None);
}

#[test]
fn untrusted_payloads_are_shown_as_hex_or_cut_with_a_note() {
    let mut utility = online();
    receive(&mut utility, "bin", &[0xff, 0x00, 0xfe, b'\n'], false);
    let row = last_row(&utility);
    assert_eq!(row.message, "ff 00 fe 0a (binary, 4 bytes)");
    act(&mut utility, Action::ViewMessage(Some(row.id)));
    let message = utility.view().message.unwrap();
    assert_eq!((message.format, message.text.as_str()), (Some(Format::Hex), "0000  ff 00 fe 0a"));
    assert_eq!(message.note.as_deref(), Some("Not UTF-8 text: shown as hex bytes."));

    let big = format!("{{\"x\":\"{}\"}}", "é".repeat(100_000));
    receive(&mut utility, "big", big.as_bytes(), false);
    let row = last_row(&utility);
    assert_eq!(row.message.chars().count(), payload::PREVIEW_CHARS_MAX + 1, "one line, cut with …");
    act(&mut utility, Action::ViewMessage(Some(row.id)));
    let message = utility.view().message.unwrap();
    assert_eq!(message.format, Some(Format::Text), "cut JSON is shown as the text it is");
    assert!(message.text.len() <= KEPT_BYTES_MAX);
    assert_eq!(
        message.note,
        Some(format!("Showing the first {KEPT_BYTES_MAX} of {} bytes; the rest was not kept.", big.len()))
    );
    receive(&mut utility, "ctl", b"line one\nline\ttwo\x07", false);
    assert_eq!(last_row(&utility).message, "line one line two");
}

#[test]
fn export_quotes_csv_fields_and_writes_json_with_encodings() {
    let mut utility = online();
    receive(&mut utility, "a/b", b"{\"memo\":\"lunch, \\\"the\\\" usual\"}\nsecond line", true);
    receive(&mut utility, "bin", &[0xff, 0xfe], false);
    let csv = utility.export(ExportFormat::Csv, now());
    assert_eq!(csv.file_name, "mqtt-history-20261201-054122.csv");
    assert_eq!(csv.rows, 3);
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["Event", "Topic", "Message", "QoS", "Retained", "Time"]);
    let records: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    assert_eq!(
        records[1],
        [
            "Received",
            "a/b",
            "{\"memo\":\"lunch, \\\"the\\\" usual\"}\nsecond line",
            "1",
            "yes",
            "2026-12-01T05:41:22.123Z"
        ]
    );
    assert_eq!(records[2][2], "ff fe");
    assert!(csv.text.contains("\"{\"\"memo\"\":"), "quotes are doubled inside a quoted field: {}", csv.text);

    let json = utility.export(ExportFormat::Json, now());
    assert_eq!(json.file_name, "mqtt-history-20261201-054122.json");
    let rows: serde_json::Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(rows[0]["event"], "Connected");
    assert_eq!(rows[0]["encoding"], "note");
    assert_eq!(rows[1]["retained"], true);
    assert_eq!(rows[2]["encoding"], "hex");
    assert_eq!(rows[2]["bytes"], 2);

    utility.update(Event::Exported { result: Ok("/tmp/x.csv".into()), rows: 3 }, now());
    assert_eq!(utility.view().notice.as_deref(), Some("Exported 3 rows to /tmp/x.csv"));
    utility.update(Event::Exported { result: Err("disk full".into()), rows: 3 }, now());
    let view = utility.view();
    assert_eq!((view.notice.as_deref(), view.notice_is_error), (Some("The export was not saved: disk full"), true));
}

#[test]
fn the_topic_tree_shows_each_level_once_with_latest_and_retained_values() {
    let mut utility = online();
    receive(&mut utility, "bank/balanceUpdate/00001", b"1000.00", true);
    receive(&mut utility, "bank/balanceUpdate/00001", b"995.00", false);
    receive(&mut utility, "bank/ledger/status", b"{\"online\":true}", true);
    receive(&mut utility, "bank/balanceUpdate-x", b"odd", false);
    receive(&mut utility, "bank", b"root", false);
    let view = utility.view();
    let lines: Vec<String> = view
        .tree
        .iter()
        .map(|row| {
            let retained = row.retained_text.clone().unwrap_or_default();
            format!("{}{} {} {} {}", "  ".repeat(row.depth), row.name, row.value_text, retained, row.messages_text)
                .trim_end()
                .to_string()
        })
        .collect();
    assert_eq!(
        lines,
        [
            "bank root  1 message",
            "  balanceUpdate",
            "    00001 995.00 Retained: 1000.00 2 messages",
            "  balanceUpdate-x odd  1 message",
            "  ledger",
            "    status {\"online\":true} Retained: {\"online\":true} 1 message",
        ]
    );
    assert_eq!(view.tree_text, "4 topics");
    assert_eq!(view.tree[2].topic.as_deref(), Some("bank/balanceUpdate/00001"));
}

#[test]
fn the_topic_tree_is_bounded() {
    let mut utility = online();
    for n in 0..TOPICS_MAX + 3 {
        receive(&mut utility, &format!("t/{n}"), b"x", false);
    }
    let view = utility.view();
    assert_eq!(view.tree.len(), TOPICS_MAX + 1, "the shared level and one row per kept topic");
    assert_eq!(
        view.tree_untracked_text.as_deref(),
        Some("3 messages on further topics not shown (the tree keeps 500 topics).")
    );
}
