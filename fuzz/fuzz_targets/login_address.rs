//! The broker address field (`bank_mqtt::address::parse`, and `login_config` over it): it
//! never panics, what it accepts is a usable host and port, and reading back what it
//! produced gives the same address.
#![no_main]

use bank_core::session::login_config;
use bank_mqtt::address::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = parse(text);
    match &parsed {
        Ok(address) => {
            let (host, port) = (&address.host, address.port);
            assert!(!host.is_empty());
            assert!(port > 0);
            assert!(!host.contains(|c: char| c.is_whitespace() || "/@?#[]".contains(c)), "{host:?}");
            // The canonical spelling of what was read reads back the same.
            let scheme = if address.tls { "mqtts" } else { "mqtt" };
            let spelled = if host.contains(':') {
                format!("{scheme}://[{host}]:{port}")
            } else {
                format!("{scheme}://{host}:{port}")
            };
            assert_eq!(parse(&spelled).as_ref(), Ok(address), "{text:?} -> {spelled:?}");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
    let config = login_config(text, text, "password", "device", "/nonexistent");
    assert_eq!(config.is_ok(), parsed.is_ok());
    if let (Ok(config), Ok(address)) = (config, parsed) {
        assert_eq!((config.host, config.port, config.tls), (address.host, address.port, address.tls));
        assert_eq!(config.account, text.trim());
    }
});
