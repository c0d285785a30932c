//! Topic decoding (`Topic::parse`) and the ACL's
//! subscription check `filter_within`, against a plain MQTT topic matcher.
#![no_main]

use bank_protocol::{AccountId, Topic, filter_within, is_device_id};
use libfuzzer_sys::fuzz_target;

/// MQTT matching of a concrete topic name against a filter, level by level (without the
/// `$`-topic rule, which only makes matching narrower).
fn matches(filter: &str, topic: &str) -> bool {
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        if level == "#" {
            return true;
        }
        match topic_levels.next() {
            Some(name) if level == "+" || level == name => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

fn is_topic_name(text: &str) -> bool {
    !text.contains(['+', '#'])
}

fn is_filter(text: &str) -> bool {
    let levels: Vec<&str> = text.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "+" => true,
        "#" => i == levels.len() - 1,
        other => is_topic_name(other),
    })
}

/// A topic name that `filter` matches, with wildcards replaced by levels from `fills`.
fn instantiate(filter: &str, fills: &[&str]) -> String {
    let mut fills = fills.iter().copied().filter(|fill| is_topic_name(fill) && !fill.contains('/'));
    let mut levels = Vec::new();
    for level in filter.split('/') {
        match level {
            "+" => levels.push(fills.next().unwrap_or("x")),
            // `#` stands for zero or more levels.
            "#" => levels.extend(fills.by_ref().take(3)),
            other => levels.push(other),
        }
    }
    levels.join("/")
}

// Lines: a topic (or filter), an allowed filter, then levels that stand in for `+` and
// `#` when a filter is made concrete. Plain text, so the seeds are readable.
fuzz_target!(|input: &str| {
    let mut lines = input.split('\n');
    let topic = lines.next().unwrap_or_default();
    let allowed = lines.next().unwrap_or_default();
    let fills: Vec<&str> = lines.collect();
    let account = (input.len() as u32).wrapping_mul(7919);

    // Decoding: whatever is accepted formats back to exactly the same text, and every
    // device level in it is a valid device id.
    if let Some(parsed) = Topic::parse(topic) {
        assert_eq!(parsed.to_string(), topic, "{parsed:?}");
        if let Topic::Presence(_, device)
        | Topic::TokenIssue(_, device)
        | Topic::TokenRevoke(_, device)
        | Topic::TokenResult(_, device) = parsed
        {
            assert!(is_device_id(device), "{device:?}");
        }
    }

    // The builders' topics decode back.
    let account = AccountId::parse(&format!("{:05}", account % 100_000)).unwrap();
    for built in [Topic::TransferRequest(account), Topic::BalanceUpdate(account), Topic::LedgerStatus] {
        assert_eq!(Topic::parse(&built.to_string()), Some(built));
    }
    if is_device_id(topic) {
        let presence = Topic::Presence(account, topic);
        assert_eq!(Topic::parse(&presence.to_string()), Some(presence));
    }

    // filter_within: reflexive, exact for topic names, and sound for filters.
    assert!(filter_within(topic, topic), "{topic:?}");
    assert!(filter_within(allowed, allowed), "{allowed:?}");
    if is_filter(allowed) {
        if is_topic_name(topic) {
            assert_eq!(filter_within(topic, allowed), matches(allowed, topic), "{topic:?} within {allowed:?}");
        }
        if is_filter(topic) && filter_within(topic, allowed) {
            let name = instantiate(topic, &fills);
            assert!(matches(topic, &name), "{name:?} should match {topic:?}");
            assert!(matches(allowed, &name), "{topic:?} is within {allowed:?}, but {name:?} is not matched by it");
        }
    }
});
