use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An account number: exactly five ASCII digits, such as `00001`.
///
/// Account numbers appear in topics, so a valid one can never contain
/// MQTT wildcards or separators.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; 5]);

impl AccountId {
    pub fn parse(text: &str) -> Option<AccountId> {
        let bytes: [u8; 5] = text.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(AccountId(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).expect("account ids are ASCII digits")
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.as_str())
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        AccountId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not an account number (5 digits)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_five_digits() {
        assert_eq!(AccountId::parse("00001").unwrap().as_str(), "00001");
        for bad in ["", "0001", "000001", "0000a", "+0001", "0000 ", "0000#", "٠٠٠٠١"] {
            assert!(AccountId::parse(bad).is_none(), "{bad:?} must be rejected");
        }
    }
}
