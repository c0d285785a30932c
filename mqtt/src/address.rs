//! A broker's address, read the same way by every shell's login screen and by the
//! ledger's `--broker`: `192.168.1.20`, `laptop.local:1884`, `mqtts://bank.example.com`
//! or `[fe80::1]:1883`.

pub const PORT_PLAIN: u16 = 1883;
pub const PORT_TLS: u16 = 8883;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Without brackets, for IPv6.
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

/// The shortest text [`parse`] reads back as the same address: `192.168.1.20`,
/// `laptop.local:1884`, `mqtts://bank.example.com`, `[fe80::1]:1883` keeps its port only
/// when it is not the default.
impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let default_port = if self.tls { PORT_TLS } else { PORT_PLAIN };
        let scheme = if self.tls { "mqtts://" } else { "" };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        match self.port == default_port {
            true => write!(f, "{scheme}{host}"),
            false => write!(f, "{scheme}{host}:{}", self.port),
        }
    }
}

/// What is wrong with an address, in words for the person who typed it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(pub String);

/// Reads an address as a person types it; the scheme picks TLS and the default port.
pub fn parse(text: &str) -> Result<Address, AddressError> {
    let invalid = AddressError;
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
    Ok(Address { host: host.to_string(), port, tls })
}

fn split_port(text: &str) -> Result<(&str, Option<u16>), AddressError> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(|| {
            AddressError("An IPv6 address in brackets needs its closing ']', like [fe80::1]:1883.".into())
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

fn parse_port(text: &str) -> Result<u16, AddressError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(AddressError(format!(
            "'{text}' is not a port. After ':' put a number from 1 to 65535; ledger-service uses 1883."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (String, u16, bool) {
        let address = parse(text).unwrap();
        (address.host, address.port, address.tls)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
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
    fn an_address_reads_back_as_itself() {
        for text in [
            "192.168.1.20",
            "laptop.local:1884",
            "mqtts://bank.example.com",
            "mqtts://h:1883",
            "[fe80::1]:1884",
            "[::1]",
        ] {
            let address = parse(text).unwrap();
            assert_eq!(address.to_string(), text);
            assert_eq!(parse(&address.to_string()).unwrap(), address);
        }
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
}
