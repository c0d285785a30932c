//! The shared client core of MQTT Banking.
//!
//! `protocol` is the one definition of the wire contract between devices and the
//! ledger: topics, payloads, money and reason codes. The ledger service depends on it
//! too, so the two sides cannot drift apart.

pub mod protocol;
