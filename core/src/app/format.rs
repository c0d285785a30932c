//! How money and times look on every screen. Shells never format either themselves.

use chrono::{DateTime, FixedOffset, Utc};

use crate::protocol::{Amount, Direction};

/// `$5,000.00`; negative amounts as `-$5.00`.
pub fn money(amount: Amount) -> String {
    let sign = if amount.cents() < 0 { "-" } else { "" };
    let magnitude = amount.cents().unsigned_abs();
    format!("{sign}${}.{:02}", group_thousands(magnitude / 100), magnitude % 100)
}

/// `+$65.86` for money in, `-$90.00` for money out.
pub fn signed_money(amount: Amount, direction: Direction) -> String {
    let sign = match direction {
        Direction::In => '+',
        Direction::Out => '-',
    };
    format!("{sign}{}", money(amount))
}

/// `To #00004` / `From #00004`, as on the seed's history screen.
pub fn counterparty(direction: Direction, account: impl std::fmt::Display) -> String {
    match direction {
        Direction::In => format!("From #{account}"),
        Direction::Out => format!("To #{account}"),
    }
}

/// `Nov 24, 23:15` in the device's time zone, whose offset the shell supplies.
pub fn time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%b %-d, %H:%M").to_string()
}

/// Error texts from the protocol start in lower case, to read well inside the ledger's
/// sentences; on a screen they start a sentence.
pub fn sentence(text: impl std::fmt::Display) -> String {
    let text = text.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// `1,234,567`.
pub fn group_thousands(mut units: u64) -> String {
    let mut groups = Vec::new();
    while units >= 1000 {
        groups.push(format!("{:03}", units % 1000));
        units /= 1000;
    }
    groups.push(units.to_string());
    groups.reverse();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_looks_like_the_seed() {
        assert_eq!(money(Amount::from_cents(72_614)), "$726.14");
        assert_eq!(money(Amount::from_cents(500_000)), "$5,000.00");
        assert_eq!(money(Amount::from_cents(0)), "$0.00");
        assert_eq!(money(Amount::from_cents(5)), "$0.05");
        assert_eq!(money(Amount::from_cents(100_000_000_000)), "$1,000,000,000.00");
        assert_eq!(money(Amount::from_cents(-123_456)), "-$1,234.56");
        assert_eq!(signed_money(Amount::from_cents(9_000), Direction::Out), "-$90.00");
        assert_eq!(signed_money(Amount::from_cents(6_586), Direction::In), "+$65.86");
        assert_eq!(counterparty(Direction::Out, "00004"), "To #00004");
        assert_eq!(counterparty(Direction::In, "00004"), "From #00004");
    }

    #[test]
    fn times_are_local_and_short() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T23:15:55.123Z").unwrap().with_timezone(&Utc);
        assert_eq!(time(at, FixedOffset::east_opt(0).unwrap()), "Nov 24, 23:15");
        assert_eq!(time(at, FixedOffset::east_opt(3600).unwrap()), "Nov 25, 00:15");
        assert_eq!(sentence("amount must be greater than 0"), "Amount must be greater than 0");
    }
}
