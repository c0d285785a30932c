//! The login screen's broker field (`broker_address`, `login_config`): it never panics,
//! what it accepts is a usable host and port, and reading back what it produced gives the
//! same address.
#![no_main]

use bank_core::session::{broker_address, login_config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = broker_address(text);
    match &parsed {
        Ok((host, port, _tls)) => {
            assert!(!host.is_empty());
            assert!(*port > 0);
            assert!(!host.contains(|c: char| c.is_whitespace() || "/@?#[]".contains(c)), "{host:?}");
            // The canonical spelling of what was read reads back the same.
            let (scheme, tls) = if parsed.as_ref().unwrap().2 { ("mqtts", true) } else { ("mqtt", false) };
            let spelled = if host.contains(':') {
                format!("{scheme}://[{host}]:{port}")
            } else {
                format!("{scheme}://{host}:{port}")
            };
            assert_eq!(broker_address(&spelled).ok(), Some((host.clone(), *port, tls)), "{text:?} -> {spelled:?}");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
    let config = login_config(text, text, "password", "device", "/nonexistent");
    assert_eq!(config.is_ok(), parsed.is_ok());
    if let (Ok(config), Ok((host, port, tls))) = (config, parsed) {
        assert_eq!((config.host, config.port, config.tls), (host, port, tls));
        assert_eq!(config.account, text.trim());
    }
});
