//! The login screen's one text field for the broker, read the same way on every shell:
//! `192.168.1.20`, `laptop.local:1884`, `mqtts://bank.example.com` or `[fe80::1]:1883`.

use super::{SessionConfig, SessionError};

const PORT_PLAIN: u16 = 1883;
const PORT_TLS: u16 = 8883;

/// Turns what a person typed on the login screen into a [`SessionConfig`]. The account
/// and password are checked when the session opens; this only reads the address.
pub fn login_config(
    broker: &str,
    account: &str,
    password: &str,
    device_name: &str,
    storage_dir: &str,
) -> Result<SessionConfig, SessionError> {
    let (host, port, tls) = broker_address(broker)?;
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

/// Host, port and whether to use TLS.
pub fn broker_address(text: &str) -> Result<(String, u16, bool), SessionError> {
    let invalid = |message: String| SessionError::InvalidConfig { message };
    let text = text.trim();
    let (rest, tls) = match text.split_once("://") {
        None => (text, false),
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (rest, false),
            "mqtts" | "ssl" => (rest, true),
            _ => {
                return Err(invalid(format!(
                    "'{scheme}://' is not a broker address. Use mqtt://host:1883, or mqtts://host:8883 for TLS."
                )));
            }
        },
    };
    let (host, port) = split_port(rest.trim_end_matches('/'))?;
    if host.is_empty() {
        return Err(invalid(
            "Enter the broker's address, such as 192.168.1.20, the laptop running ledger-service.".into(),
        ));
    }
    if host.contains(|c: char| c.is_whitespace() || "/@?#[]".contains(c)) {
        return Err(invalid(format!(
            "'{host}' is not a host name or IP address. Enter one like 192.168.1.20 or laptop.local."
        )));
    }
    let port = port.unwrap_or(if tls { PORT_TLS } else { PORT_PLAIN });
    Ok((host.to_string(), port, tls))
}

fn split_port(text: &str) -> Result<(&str, Option<u16>), SessionError> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(|| SessionError::InvalidConfig {
            message: "An IPv6 address in brackets needs its closing ']', like [fe80::1]:1883.".into(),
        })?;
        (host, after.strip_prefix(':'))
    } else {
        match text.split_once(':') {
            // Two or more colons: an IPv6 address written without brackets or a port.
            Some((_, after)) if after.contains(':') => (text, None),
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

fn parse_port(text: &str) -> Result<u16, SessionError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(SessionError::InvalidConfig {
            message: format!(
                "'{text}' is not a port. After ':' put a number from 1 to 65535; ledger-service uses 1883."
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (String, u16, bool) {
        broker_address(text).unwrap()
    }

    fn error(text: &str) -> String {
        broker_address(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_the_addresses_people_type() {
        assert_eq!(read("192.168.1.20"), ("192.168.1.20".into(), 1883, false));
        assert_eq!(read("  laptop.local:1884 "), ("laptop.local".into(), 1884, false));
        assert_eq!(read("mqtt://10.0.0.2"), ("10.0.0.2".into(), 1883, false));
        assert_eq!(read("MQTTS://bank.example.com/"), ("bank.example.com".into(), 8883, true));
        assert_eq!(read("mqtts://bank.example.com:443"), ("bank.example.com".into(), 443, true));
        assert_eq!(read("[fe80::1]:1885"), ("fe80::1".into(), 1885, false));
        assert_eq!(read("[::1]"), ("::1".into(), 1883, false));
        assert_eq!(read("fe80::1"), ("fe80::1".into(), 1883, false));
    }

    #[test]
    fn says_what_is_wrong_with_an_address() {
        assert!(error("").contains("Enter the broker's address"), "{}", error(""));
        assert!(error("mqtt://").contains("Enter the broker's address"));
        assert!(error("http://laptop").contains("Use mqtt://host:1883"));
        assert!(error("laptop:0").contains("'0' is not a port"));
        assert!(error("laptop:99999").contains("'99999' is not a port"));
        assert!(error("laptop:").contains("'' is not a port"));
        assert!(error("my laptop").contains("'my laptop' is not a host name"));
        assert!(error("user@laptop").contains("is not a host name"));
        assert!(error("[fe80::1").contains("closing ']'"));
    }

    #[test]
    fn a_login_keeps_the_typed_fields_for_the_session_to_check() {
        let config = login_config("mqtts://bank.example.com", " 00001 ", "demo", "Pixel", "/data").unwrap();
        assert_eq!((config.host.as_str(), config.port, config.tls), ("bank.example.com", 8883, true));
        assert_eq!((config.account.as_str(), config.password.as_str()), ("00001", "demo"));
        assert_eq!(config.keepalive_secs, 20);
    }
}
