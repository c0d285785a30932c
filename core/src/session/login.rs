//! The sign-in screen's rules, the same on every shell: the broker field is read by
//! [`bank_mqtt::address`], and the core itself remembers the last broker and account a
//! password got online with, and reopens that account with the device's token.

use std::path::Path;

use super::config::{SessionConfig, SessionError};
use super::credentials::CredentialStore;
use crate::protocol::AccountId;

const LAST_LOGIN_FILE: &str = "last-login.json";
/// Far above a real file's size; a bigger one is damaged and ignored.
const LAST_LOGIN_BYTES_MAX: u64 = 4096;

/// What the sign-in screen starts with. Neither is secret; the password never is kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LastLogin {
    /// As [`bank_mqtt::Address`] writes it: `192.168.1.20`, `mqtts://bank.example.com`.
    pub broker: String,
    /// `00001`, as the broker accepted it.
    pub account: String,
}

/// Turns what a person typed on the login screen into a [`SessionConfig`]. The account
/// and password are checked when the session opens; this only reads the address.
pub fn login_config(
    broker: &str,
    account: &str,
    password: &str,
    device_name: &str,
    storage_dir: &str,
) -> Result<SessionConfig, SessionError> {
    let bank_mqtt::Address { host, port, tls } = broker_address(broker)?;
    Ok(SessionConfig {
        host,
        port,
        tls,
        ca_certificate_pem: None,
        account: account.trim().into(),
        password: password.into(),
        device_name: device_name.into(),
        keepalive_secs: 20,
        storage_dir: storage_dir.into(),
    })
}

/// The last broker and account a password sign-in got online with, from `storage_dir`.
/// A missing or damaged file is no last login: the screen starts empty.
pub fn last_login(storage_dir: &str) -> Option<LastLogin> {
    let path = Path::new(storage_dir).join(LAST_LOGIN_FILE);
    if std::fs::metadata(&path).ok()?.len() > LAST_LOGIN_BYTES_MAX {
        return None;
    }
    let login: LastLogin = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let valid = AccountId::parse(&login.account).is_some() && bank_mqtt::address::parse(&login.broker).is_ok();
    valid.then_some(login)
}

/// Written aside and renamed, so a crash leaves the old file or the new one.
pub fn remember_login(storage_dir: &Path, login: &LastLogin) -> std::io::Result<()> {
    let aside = storage_dir.join(format!("{LAST_LOGIN_FILE}.new"));
    std::fs::write(&aside, serde_json::to_vec(login)?)?;
    std::fs::rename(aside, storage_dir.join(LAST_LOGIN_FILE))
}

/// Reopens the last account with this device's token, straight to the account screens;
/// `None` when nothing signed in here yet or the token is gone (the password is needed).
pub fn resume_config(storage_dir: &str, device_name: &str, credentials: &dyn CredentialStore) -> Option<SessionConfig> {
    let login = last_login(storage_dir)?;
    credentials.load(login.account.clone())?;
    login_config(&login.broker, &login.account, "", device_name, storage_dir).ok()
}

/// [`bank_mqtt::address::parse`], with its error as the session's.
pub fn broker_address(text: &str) -> Result<bank_mqtt::Address, SessionError> {
    bank_mqtt::address::parse(text).map_err(|error| SessionError::InvalidConfig { message: error.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_keeps_the_typed_fields_for_the_session_to_check() {
        let config = login_config("mqtts://bank.example.com", " 00001 ", "demo", "Pixel", "/data").unwrap();
        assert_eq!((config.host.as_str(), config.port, config.tls), ("bank.example.com", 8883, true));
        assert_eq!((config.account.as_str(), config.password.as_str()), ("00001", "demo"));
        assert_eq!(config.keepalive_secs, 20);
        let error = login_config("laptop:0", "00001", "demo", "Pixel", "/data").unwrap_err();
        assert!(error.to_string().contains("'0' is not a port"), "{error}");
    }

    struct OneToken(Option<String>);

    impl CredentialStore for OneToken {
        fn load(&self, _account: String) -> Option<String> {
            self.0.clone()
        }
        fn save(&self, _account: String, _token: String) {}
        fn delete(&self, _account: String) {}
    }

    #[test]
    fn the_last_login_reopens_its_account_only_with_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        assert_eq!(last_login(root), None);
        let login = LastLogin { broker: "mqtts://bank.example.com".into(), account: "00001".into() };
        remember_login(dir.path(), &login).unwrap();
        assert_eq!(last_login(root), Some(login));
        assert_eq!(resume_config(root, "Pixel", &OneToken(None)), None, "no token: the password is needed");
        let config = resume_config(root, "Pixel", &OneToken(Some("t".into()))).unwrap();
        assert_eq!(
            (config.host.as_str(), config.port, config.tls, config.account.as_str()),
            ("bank.example.com", 8883, true, "00001")
        );
        assert_eq!(config.password, "", "the token signs in");
    }

    #[test]
    fn a_damaged_last_login_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        for bytes in [&b"{"[..], br#"{"broker":"x y","account":"00001"}"#, br#"{"broker":"h","account":"1"}"#] {
            std::fs::write(dir.path().join(LAST_LOGIN_FILE), bytes).unwrap();
            assert_eq!(last_login(root), None, "{}", String::from_utf8_lossy(bytes));
        }
        std::fs::write(dir.path().join(LAST_LOGIN_FILE), vec![b' '; 5000]).unwrap();
        assert_eq!(last_login(root), None);
    }
}
