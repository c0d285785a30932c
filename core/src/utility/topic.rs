//! Topic names and topic filters as MQTT 3.1.1 (section 4.7) defines them, checked before
//! anything reaches the broker, so a typo gets a sentence instead of a dropped connection.

/// The protocol's limit: a topic is a UTF-8 string with a 16-bit length.
pub const TOPIC_BYTES_MAX: usize = 65_535;

/// A topic to publish to: no wildcards.
pub fn check_topic(topic: &str) -> Result<(), String> {
    check_common(topic, "topic")?;
    if topic.contains(['+', '#']) {
        return Err(format!(
            "'{topic}' has a wildcard (+ or #): a message goes to one topic. Wildcards are for subscriptions."
        ));
    }
    Ok(())
}

/// A subscription's filter: `+` stands for one whole level, `#` for the rest, last.
pub fn check_filter(filter: &str) -> Result<(), String> {
    check_common(filter, "topic filter")?;
    let levels: Vec<&str> = filter.split('/').collect();
    for (index, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || index + 1 != levels.len()) {
            return Err(format!(
                "'{filter}': # must be a whole level and the last one, as in bank/#. Use + for one level in the middle."
            ));
        }
        if level.contains('+') && *level != "+" {
            return Err(format!("'{filter}': + must be a whole level, as in bank/+/status, not part of '{level}'."));
        }
    }
    Ok(())
}

fn check_common(text: &str, what: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("Enter a {what}, such as bank/ledger/status."));
    }
    if text.len() > TOPIC_BYTES_MAX {
        return Err(format!("The {what} is {} bytes long; MQTT allows at most {TOPIC_BYTES_MAX}.", text.len()));
    }
    if text.contains('\0') {
        return Err(format!("The {what} has a NUL character, which MQTT does not allow. Remove it."));
    }
    Ok(())
}
