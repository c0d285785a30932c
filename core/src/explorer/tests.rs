//! The explorer, message by message, with no network.

use serde_json::json;

use super::*;

const NOW: &str = "2026-11-24T23:40:00.000Z";

fn explorer() -> Explorer {
    let mut explorer = Explorer::new(FixedOffset::east_opt(0).unwrap());
    explorer.update(Input::Connected);
    explorer
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn message(topic: &str, payload: serde_json::Value, retained: bool) -> Input {
    Input::Message { topic: topic.into(), payload: payload.to_string().into_bytes(), retained, received_at: at(NOW) }
}

fn balance(account: &str, balance: &str, version: u64) -> Input {
    let payload = json!({"account": account, "balance": balance, "version": version, "entry": null});
    message(&format!("bank/balanceUpdate/{account}"), payload, false)
}

#[test]
fn balances_are_listed_by_account_with_a_constant_total() {
    let mut explorer = explorer();
    explorer.update(balance("00002", "726.14", 0));
    explorer.update(balance("00001", "1000.00", 0));
    explorer.update(balance("00001", "995.00", 1));
    explorer.update(balance("00002", "731.14", 1));
    explorer.update(balance("00001", "1000.00", 0)); // a stale replay
    let view = explorer.view();
    let rows: Vec<_> = view.accounts.iter().map(|row| (row.account.as_str(), row.balance_text.as_str())).collect();
    assert_eq!(rows, [("00001", "$995.00"), ("00002", "$731.14")]);
    assert_eq!(view.total_text, "$1,726.14");
}

#[test]
fn the_feed_shows_each_transfer_once_newest_first() {
    let mut explorer = explorer();
    let feed = json!({"transfers": [
        {"id": "0193a7c4-5b6e-7c3d-8f21-4a5b6c7d8e9f", "from": "00001", "to": "00004", "amount": "90.00", "memo": "rent", "at": "2026-11-24T23:15:55.123Z"},
        {"id": "0193a7c4-5b6e-7c3d-8f21-4a5b6c7d8e90", "from": "00004", "to": "00001", "amount": "65.86", "memo": null, "at": "2026-11-24T23:10:00.000Z"},
    ]});
    explorer.update(message("bank/ledger/transfers", feed, true));
    let rows = explorer.view().transfers;
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].route.as_str(), rows[0].amount_text.as_str()), ("#00001 → #00004", "$90.00"));
    assert_eq!((rows[0].memo.as_deref(), rows[0].time_text.as_str()), (Some("rent"), "Nov 24, 23:15"));
    assert_eq!(rows[1].memo, None);
}

#[test]
fn devices_show_when_they_came_online_and_when_they_were_last_seen() {
    let mut explorer = explorer();
    let since = json!({"online": true, "name": "Pixel 8", "at": "2026-11-24T23:15:00.000Z"});
    explorer.update(message("bank/presence/00001/a1b2c3d4e5f6", since, true));
    let old_will = json!({"online": false, "name": "iPhone", "at": "2026-11-24T20:00:00.000Z"});
    explorer.update(message("bank/presence/00002/0f0f0f0f0f0f", old_will, true));
    let rows = explorer.view().devices;
    assert_eq!((rows[0].name.as_str(), rows[0].seen_text.as_str()), ("Pixel 8", "Online since Nov 24, 23:15"));
    assert_eq!((rows[1].account.as_str(), rows[1].seen_text.as_str()), ("00002", "Last seen Nov 24, 20:00"));
    // A will arriving live carries its connection's start; the arrival is the better time.
    let will = json!({"online": false, "name": "Pixel 8", "at": "2026-11-24T23:15:00.000Z"});
    explorer.update(message("bank/presence/00001/a1b2c3d4e5f6", will, false));
    let view = explorer.view();
    assert_eq!(view.devices_online, 0);
    assert_eq!(view.devices[0].seen_text, "Last seen Nov 24, 23:40");
    explorer.update(message("bank/presence/00003/abcdefabcdef", json!({"online": true}), false));
    assert_eq!(explorer.view().devices[0].name, "Device abcdefabcdef");
}

#[test]
fn ledger_and_connection_state_are_worded() {
    let mut explorer = Explorer::new(FixedOffset::east_opt(0).unwrap());
    assert_eq!(explorer.view().connection_text, "Connecting…");
    explorer.update(Input::Lost {
        reason: "nothing is listening at 127.0.0.1:1883".into(),
        retry_in: Duration::from_millis(1500),
    });
    assert_eq!(explorer.view().connection_text, "Offline: nothing is listening at 127.0.0.1:1883. Retrying in 2 s");
    explorer.update(Input::Connected);
    assert_eq!(explorer.view().ledger_text, "Ledger status unknown");
    explorer.update(message("bank/ledger/status", json!({"online": false}), true));
    assert!(!explorer.view().ledger_online);
    explorer.update(message("bank/ledger/status", json!({"online": true}), false));
    assert_eq!((explorer.view().ledger_online, explorer.view().ledger_text.as_str()), (true, "Ledger online"));
}

#[test]
fn untrusted_payloads_are_counted_and_change_nothing() {
    let mut explorer = explorer();
    explorer.update(balance("00001", "1000.00", 3));
    let before = explorer.view();
    let bad = [
        ("bank/balanceUpdate/00001", b"not json".to_vec()),
        ("bank/balanceUpdate/00002", br#"{"account":"00001","balance":"1.00","version":9,"entry":null}"#.to_vec()),
        ("bank/balanceUpdate/00001", br#"{"account":"00001","balance":1.5,"version":9,"entry":null}"#.to_vec()),
        ("bank/balanceUpdate/00001", br#"{"account":"00001","balance":"-5.00","version":9,"entry":null}"#.to_vec()),
        ("bank/balanceUpdate/x", br#"{}"#.to_vec()),
        ("bank/ledger/transfers", br#"{"transfers":[{"id":"nope"}]}"#.to_vec()),
        ("bank/ledger/status", br#"{"online":"yes"}"#.to_vec()),
        ("bank/presence/00001", br#"{"online":true}"#.to_vec()),
        ("bank/presence/abc/def", br#"{"online":true}"#.to_vec()),
        ("bank/presence/00001/dev", vec![0xff, 0xfe]),
        ("bank/elsewhere", b"{}".to_vec()),
    ];
    for (topic, payload) in bad {
        explorer.update(Input::Message { topic: topic.into(), payload, retained: false, received_at: at(NOW) });
    }
    let after = explorer.view();
    assert_eq!(after.ignored_messages, 11);
    assert_eq!(after.ignored_text.as_deref(), Some("11 malformed messages ignored (someone is publishing bad data)."));
    let counted = |view: OperatorView| OperatorView { ignored_messages: 0, ignored_text: None, ..view };
    assert_eq!(counted(after), counted(before));
}

#[test]
fn device_names_are_cleaned_and_the_device_list_is_bounded() {
    let mut explorer = explorer();
    let name = format!("Evil\u{7}\n{}", "x".repeat(500));
    explorer.update(message("bank/presence/00001/d", json!({"online": true, "name": name}), false));
    assert_eq!(explorer.view().devices[0].name, format!("Evil{}", "x".repeat(60)));
    for n in 0..DEVICES_MAX + 10 {
        explorer.update(message(&format!("bank/presence/00002/{n}"), json!({"online": true}), false));
    }
    let view = explorer.view();
    assert_eq!(view.devices.len(), DEVICES_MAX);
    assert_eq!(view.ignored_messages, 11);
}
