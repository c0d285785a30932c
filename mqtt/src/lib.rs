//! How MQTT Banking connects to a broker. The ledger's connection and every device's
//! (the core's link, the operator's explorer) are built here, so an address means the
//! same thing everywhere and every connection has the same transport settings.
//!
//! - [`address`] reads a broker address: `192.168.1.20`, `laptop.local:1884`,
//!   `mqtts://bank.example.com`, `[fe80::1]:1883`.
//! - [`client`] builds the rumqttc client: packet sizes, TLS with ring, no Nagle.
//! - [`backoff`] is the reconnect delay: doubling, capped, jittered.

pub mod address;
pub mod backoff;
pub mod client;

pub use address::{Address, AddressError};
pub use backoff::Backoff;
