//! The ledger service as a library, so that its binary, the fuzz targets and the load
//! and fault tools share one build of the engine, the store and the broker.

pub mod access;
pub mod broker;
pub mod cli;
pub mod config;
pub mod ledger;
pub mod login;
pub mod service;
