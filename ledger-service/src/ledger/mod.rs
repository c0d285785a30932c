//! The ledger: a pure engine ([`engine`]) over a store trait ([`store`]), with SQLite
//! as the durable adapter ([`sqlite`]) and an in-memory one for tests ([`memory`]).
//! Nothing in here knows about MQTT.

pub mod engine;
mod fingerprint;
pub mod memory;
pub mod sqlite;
pub mod store;

pub use sqlite::SqliteStore;
pub use store::{Batch, StoreError};
