//! Amount parsing against an independent reading of the documented grammar
//! (`digits[.d[d]]`, integer cents), and the Display round trip `parse(display(a)) == a`.
#![no_main]

use bank_protocol::{Amount, AmountError};
use libfuzzer_sys::fuzz_target;

/// More whole digits than this are refused as over any limit (the parser's bound that
/// keeps i64 cents from overflowing).
const WHOLE_DIGITS_MAX: usize = 15;

/// The documented grammar, read independently: `Some(cents)` for `digits[.d[d]]` (as an
/// i128, so it cannot overflow for the lengths we allow), `None` for anything else.
fn reference(text: &str) -> Option<Result<i128, AmountError>> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > 2 {
        return Some(Err(AmountError::TooManyDecimals));
    }
    let significant = whole.trim_start_matches('0');
    if significant.len() > WHOLE_DIGITS_MAX {
        return Some(Err(AmountError::OverMaximum));
    }
    let mut cents: i128 = 0;
    for b in significant.bytes() {
        cents = cents * 10 + i128::from(b - b'0');
    }
    let mut fraction_cents: i128 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        fraction_cents += i128::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    Some(Ok(cents * 100 + fraction_cents))
}

fn check_text(text: &str) {
    let parsed = Amount::parse_non_negative(text);
    match reference(text) {
        Some(Ok(cents)) => assert_eq!(parsed.map(|a| i128::from(a.cents())), Ok(cents), "{text:?}"),
        Some(Err(error)) => assert_eq!(parsed, Err(error), "{text:?}"),
        None => assert!(parsed.is_err(), "{text:?} is outside the grammar but parsed as {parsed:?}"),
    }
    if let Ok(amount) = parsed {
        assert!(amount >= Amount::ZERO);
        assert_eq!(Amount::parse_non_negative(&amount.to_string()), Ok(amount), "display round trip of {text:?}");
    }
    match Amount::parse_transfer(text) {
        Ok(amount) => {
            assert_eq!(parsed, Ok(amount));
            assert!(amount > Amount::ZERO && amount <= Amount::TRANSFER_MAX);
        }
        Err(_) => assert!(parsed.is_err() || parsed.is_ok_and(|a| a == Amount::ZERO || a > Amount::TRANSFER_MAX)),
    }
}

fn check_cents(cents: i64) {
    let amount = Amount::from_cents(cents);
    let text = amount.to_string();
    let (sign, magnitude) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = magnitude.split_once('.').expect("always a point");
    assert_eq!(fraction.len(), 2, "{text}");
    assert!(whole.bytes().all(|b| b.is_ascii_digit()) && !whole.is_empty());
    assert_eq!(sign == "-", cents < 0);
    let parsed = Amount::parse_non_negative(&text);
    let in_range = whole.trim_start_matches('0').len() <= WHOLE_DIGITS_MAX;
    if cents < 0 {
        // The magnitude is read first: one too large to read says so instead.
        let expected = if in_range { AmountError::NotPositive } else { AmountError::OverMaximum };
        assert_eq!(parsed, Err(expected), "{text}");
    } else if in_range {
        assert_eq!(parsed, Ok(amount), "{text}");
        let json = serde_json::to_string(&amount).unwrap();
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), amount);
    } else {
        assert_eq!(parsed, Err(AmountError::OverMaximum), "{text}");
    }
}

fuzz_target!(|input: &[u8]| {
    if let Ok(text) = std::str::from_utf8(input) {
        check_text(text);
    }
    if let Some(bytes) = input.get(..8) {
        let cents = i64::from_le_bytes(bytes.try_into().unwrap());
        check_cents(cents);
        // Small values, where the interesting edges are, as often as huge ones.
        check_cents(cents % 1_000_000_000);
    }
});
