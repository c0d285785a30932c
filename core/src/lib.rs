//! The shared client core of MQTT Banking.
//!
//! - [`protocol`] is the wire contract, re-exported from `bank-protocol`, the one crate
//!   the ledger and every device share.
//! - [`app`] is the app as a pure state machine: events in, effects and a view model out.
//! - [`explorer`] is the operator's explorer, pure in the same way: messages in, a view out.
//! - [`utility`] is the MQTT client utility, pure in the same way: events in, a view out.
//! - [`session`] is the imperative shell around all three: the MQTT connection, the outbox file
//!   and the observer. The desktop app and the `bank` CLI use it as plain Rust.
//! - `ffi` adapts the session for Kotlin and Swift through UniFFI, with the `uniffi`
//!   feature; nothing else in the workspace compiles UniFFI.

pub mod app;
pub mod explorer;
#[cfg(feature = "uniffi")]
pub mod ffi;
pub mod session;
pub mod utility;

pub use bank_protocol as protocol;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
