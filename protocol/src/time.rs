//! When something happened, as the protocol carries it: RFC 3339 in UTC with
//! milliseconds (`2026-11-24T23:15:55.123Z`). Parsed once, where a payload is decoded,
//! so no one compares or sorts times as strings.

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp::from(Utc::now())
    }

    /// Any RFC 3339 time, in any offset; `None` for anything else.
    pub fn parse(text: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(text).ok().map(|at| Timestamp::from(at.to_utc()))
    }

    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }
}

/// Kept to the millisecond, as the wire carries it, so a time survives a round trip.
impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Timestamp {
        Timestamp(at.trunc_subsecs(3))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time, like 2026-11-24T23:15:55.123Z"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_utc_to_the_millisecond() {
        let at = Timestamp::parse("2026-11-25T00:15:55.123456+01:00").unwrap();
        assert_eq!(at.to_string(), "2026-11-24T23:15:55.123Z");
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(json, "\"2026-11-24T23:15:55.123Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), at);
        assert!(Timestamp::parse("2026-11-24T23:15:56Z").unwrap() > at);
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        for bad in ["\"yesterday\"", "\"2026-11-24\"", "\"\"", "5"] {
            assert!(serde_json::from_str::<Timestamp>(bad).is_err(), "{bad}");
        }
        let error = serde_json::from_str::<Timestamp>("\"soon\"").unwrap_err().to_string();
        assert!(error.contains("not an RFC 3339 time"), "{error}");
    }
}
