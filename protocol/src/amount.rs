use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact amount of money in integer cents. Money never passes through a float.
///
/// On the wire an amount is a decimal string with exactly two fraction digits
/// (`"995.00"`). Input also accepts zero or one fraction digit (`"5"`, `"5.0"`).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount {
    cents: i64,
}

/// Why a text is not a valid transfer amount. `Display` is a message a person can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber,
    TooManyDecimals,
    NotPositive,
    OverMaximum,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AmountError::Empty => "enter an amount, like 5.00",
            AmountError::NotANumber => "amount must be digits with an optional decimal point, like 5.00",
            AmountError::TooManyDecimals => "amount can have at most 2 digits after the decimal point",
            AmountError::NotPositive => "amount must be greater than 0",
            AmountError::OverMaximum => "amount can be at most 1,000,000.00",
        })
    }
}

impl std::error::Error for AmountError {}

impl Amount {
    pub const ZERO: Amount = Amount { cents: 0 };
    /// The largest amount one transfer may move: 1,000,000.00.
    pub const TRANSFER_MAX: Amount = Amount { cents: 100_000_000 };

    pub const fn from_cents(cents: i64) -> Amount {
        Amount { cents }
    }

    pub const fn cents(self) -> i64 {
        self.cents
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.cents.checked_add(other.cents).map(Amount::from_cents)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.cents.checked_sub(other.cents).map(Amount::from_cents)
    }

    /// Parses an amount a person wants to transfer: `> 0` and at most [`Amount::TRANSFER_MAX`].
    pub fn parse_transfer(text: &str) -> Result<Amount, AmountError> {
        let amount = Amount::parse_non_negative(text)?;
        if amount.cents == 0 {
            return Err(AmountError::NotPositive);
        }
        if amount > Amount::TRANSFER_MAX {
            return Err(AmountError::OverMaximum);
        }
        Ok(amount)
    }

    /// Parses `digits[.d[d]]`. A leading minus is recognised only to say "must be positive".
    pub fn parse_non_negative(text: &str) -> Result<Amount, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        if let Some(rest) = text.strip_prefix('-').filter(|rest| !rest.starts_with('-')) {
            return match Amount::parse_non_negative(rest) {
                Ok(_) => Err(AmountError::NotPositive),
                Err(error) => Err(error),
            };
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err(AmountError::NotANumber);
        }
        if text.ends_with('.') {
            return Err(AmountError::NotANumber);
        }
        if fraction.len() > 2 {
            return Err(AmountError::TooManyDecimals);
        }
        // 15 whole digits cannot overflow i64 cents; anything longer is over any limit.
        let whole_digits = whole.trim_start_matches('0');
        if whole_digits.len() > 15 {
            return Err(AmountError::OverMaximum);
        }
        let whole_cents = whole_digits.parse::<i64>().unwrap_or(0) * 100;
        let fraction_cents = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().unwrap_or(0) * 10,
            _ => fraction.parse::<i64>().unwrap_or(0),
        };
        Ok(Amount::from_cents(whole_cents + fraction_cents))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let magnitude = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialises any non-negative amount: balances may be 0, transfers are checked separately.
impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Amount::parse_non_negative(&text).map_err(|error| serde::de::Error::custom(format!("{text:?}: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Result<i64, AmountError> {
        Amount::parse_transfer(text).map(Amount::cents)
    }

    #[test]
    fn accepts_zero_one_or_two_fraction_digits() {
        assert_eq!(cents("5"), Ok(500));
        assert_eq!(cents("5.0"), Ok(500));
        assert_eq!(cents("5.00"), Ok(500));
        assert_eq!(cents("0.01"), Ok(1));
        assert_eq!(cents("726.14"), Ok(72_614));
        assert_eq!(cents("007.5"), Ok(750));
        assert_eq!(cents("1000000.00"), Ok(100_000_000));
    }

    #[test]
    fn rejects_each_bad_input_with_its_own_error() {
        assert_eq!(cents(""), Err(AmountError::Empty));
        assert_eq!(cents("0"), Err(AmountError::NotPositive));
        assert_eq!(cents("0.00"), Err(AmountError::NotPositive));
        assert_eq!(cents("-1"), Err(AmountError::NotPositive));
        assert_eq!(cents("1.001"), Err(AmountError::TooManyDecimals));
        assert_eq!(cents("1000000.01"), Err(AmountError::OverMaximum));
        assert_eq!(cents("99999999999999999999999"), Err(AmountError::OverMaximum));
        for text in ["1e3", "abc", "5.", ".5", "1,000", " 5", "5 ", "+5", "--1", "1.2.3", "NaN", "١"] {
            assert_eq!(cents(text), Err(AmountError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn formats_with_exactly_two_fraction_digits() {
        assert_eq!(Amount::from_cents(0).to_string(), "0.00");
        assert_eq!(Amount::from_cents(5).to_string(), "0.05");
        assert_eq!(Amount::from_cents(99_500).to_string(), "995.00");
        assert_eq!(Amount::from_cents(-9_000).to_string(), "-90.00");
        assert_eq!(Amount::from_cents(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn round_trips_through_json_as_a_string() {
        let json = serde_json::to_string(&Amount::from_cents(72_614)).unwrap();
        assert_eq!(json, "\"726.14\"");
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap().cents(), 72_614);
        assert!(serde_json::from_str::<Amount>("726.14").is_err(), "a JSON number is refused");
    }
}
