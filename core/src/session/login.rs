//! The login screen's one text field for the broker, read by [`bank_mqtt::address`] the
//! same way on every shell.

use super::config::{SessionConfig, SessionError};

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
}
