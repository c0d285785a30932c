//! What a shell gives the core to open a session, the errors it may get back, and the
//! checked [`Settings`] the session runs with.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::protocol::{AccountId, DEVICE_NAME_CHARS_MAX};

use super::link;

/// How a shell opens a session. `storage_dir` must survive app restarts: it holds the
/// device id and the outbox of transfers not yet confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionConfig {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    /// PEM; `None` trusts the public web roots.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub ca_certificate_pem: Option<String>,
    pub account: String,
    /// Empty to sign in with the token this device keeps in its credential store.
    pub password: String,
    pub device_name: String,
    #[cfg_attr(feature = "uniffi", uniffi(default = 20))]
    pub keepalive_secs: u32,
    pub storage_dir: String,
}

/// Flat across the FFI: Kotlin and Swift get the variant and its message as the
/// exception's message (a `message` field would clash with Kotlin's `Throwable.message`).
#[derive(Debug, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi(flat_error))]
pub enum SessionError {
    /// The config cannot work; `message` says which field and how to fix it.
    #[error("{message}")]
    InvalidConfig { message: String },
    /// The storage directory cannot be used; `message` names the file and the problem.
    #[error("{message}")]
    Storage { message: String },
    /// Another session of this account holds this storage directory now.
    #[error("{message}")]
    InUse { message: String },
}

/// A [`SessionConfig`] that has been checked.
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub account: AccountId,
    pub device_name: String,
    pub keepalive: Duration,
    pub storage_dir: PathBuf,
}

impl Settings {
    /// Checks every field; creates nothing, so a bad config leaves no trace on disk.
    pub fn check(config: &SessionConfig) -> Result<Settings, SessionError> {
        let invalid = |message: &str| SessionError::InvalidConfig { message: message.into() };
        let host = config.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(invalid(
                "Enter the broker's address, such as 192.168.1.20, the laptop running ledger-service.",
            ));
        }
        if config.port == 0 {
            return Err(invalid("The broker port must be between 1 and 65535; ledger-service uses 1883."));
        }
        let account = AccountId::parse(config.account.trim())
            .ok_or_else(|| invalid("The account number is 5 digits, like 00001."))?;
        if !(5..=65_535).contains(&config.keepalive_secs) {
            return Err(invalid("Keepalive must be between 5 and 65535 seconds; 20 suits phones."));
        }
        let tls = config.tls.then(|| link::tls_config(config.ca_certificate_pem.as_deref())).transpose()?;
        if config.storage_dir.is_empty() {
            return Err(invalid("The app must give the core a storage directory that survives restarts."));
        }
        let device_name: String =
            config.device_name.trim().chars().filter(|c| !c.is_control()).take(DEVICE_NAME_CHARS_MAX).collect();
        Ok(Settings {
            host: host.trim_matches(['[', ']']).to_string(),
            port: config.port,
            tls,
            account,
            device_name: if device_name.is_empty() { "Unnamed device".into() } else { device_name },
            keepalive: Duration::from_secs(config.keepalive_secs.into()),
            storage_dir: PathBuf::from(&config.storage_dir),
        })
    }
}

pub fn storage_error(place: &impl std::fmt::Display, error: std::io::Error) -> SessionError {
    match error.kind() {
        std::io::ErrorKind::ResourceBusy => SessionError::InUse { message: format!("{error}.") },
        _ => SessionError::Storage {
            message: format!(
                "Cannot use {place} ({error}). Check that the app may write there and that the disk is not full."
            ),
        },
    }
}
