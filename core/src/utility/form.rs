//! The connection form as typed, and the options it stands for once checked. The broker
//! is read by [`bank_mqtt::address::parse`], the one parser every login screen uses.

use serde::{Deserialize, Serialize};

use super::topic::check_topic;

pub const CLIENT_ID_CHARS_MAX: usize = 128;
pub const KEEPALIVE_SECS_DEFAULT: u16 = 60;
/// Room for any message the link's packet limit lets through.
pub const MESSAGE_BYTES_MAX: usize = 128 * 1024;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MqttVersion {
    #[default]
    #[serde(rename = "3.1.1")]
    V311,
    #[serde(rename = "5")]
    V5,
}

/// What the person typed. Text fields stay text until Connect, so a half-typed port is
/// kept as it is and its error is worded, not lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionForm {
    /// `127.0.0.1`, `laptop.local:1884` or `mqtts://bank.example.com`.
    pub host: String,
    /// Empty: the port in `host`, or the scheme's default.
    pub port: String,
    pub client_id: String,
    pub clean_session: bool,
    pub keepalive_secs: String,
    pub username: String,
    /// Never sent back in a view.
    #[serde(skip_serializing)]
    pub password: String,
    pub tls: bool,
    /// A PEM file with the CA that signed the broker's certificate; empty trusts the public roots.
    pub ca_file: String,
    /// Empty: no last will.
    pub will_topic: String,
    pub will_message: String,
    pub will_qos: u8,
    pub will_retained: bool,
    pub version: MqttVersion,
}

impl Default for ConnectionForm {
    fn default() -> ConnectionForm {
        ConnectionForm {
            host: "127.0.0.1".into(),
            port: String::new(),
            client_id: String::new(),
            clean_session: true,
            keepalive_secs: KEEPALIVE_SECS_DEFAULT.to_string(),
            username: String::new(),
            password: String::new(),
            tls: false,
            ca_file: String::new(),
            will_topic: String::new(),
            will_message: String::new(),
            will_qos: 0,
            will_retained: false,
            version: MqttVersion::V311,
        }
    }
}

/// Everything the link needs to connect; checked, so the link has no rules of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub ca_file: Option<String>,
    pub client_id: String,
    pub clean_session: bool,
    pub keepalive_secs: u16,
    pub credentials: Option<(String, String)>,
    pub will: Option<Will>,
    pub version: MqttVersion,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retained: bool,
}

impl ConnectionForm {
    /// The options, or the first thing wrong with the form, worded for the person.
    pub fn check(&self) -> Result<ConnectOptions, String> {
        let address = self.address()?;
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() {
            return Err("Enter a client id: the broker tells clients apart by it.".into());
        }
        if client_id.chars().count() > CLIENT_ID_CHARS_MAX || client_id.chars().any(char::is_control) {
            return Err(format!(
                "The client id must be at most {CLIENT_ID_CHARS_MAX} characters, without control characters."
            ));
        }
        let keepalive_secs = self.keepalive_secs.trim().parse::<u16>().map_err(|_| {
            format!("'{}' is not a keepalive: enter seconds from 0 (off) to 65535.", self.keepalive_secs.trim())
        })?;
        if self.username.is_empty() && !self.password.is_empty() {
            return Err("A password is sent only with a user name: enter the user name too.".into());
        }
        let credentials = (!self.username.is_empty()).then(|| (self.username.clone(), self.password.clone()));
        let ca_file = Some(self.ca_file.trim().to_string()).filter(|path| !path.is_empty());
        if ca_file.is_some() && !address.tls {
            return Err("A CA file is for TLS: tick TLS, or clear the CA file.".into());
        }
        Ok(ConnectOptions {
            host: address.host,
            port: address.port,
            tls: address.tls,
            ca_file,
            client_id,
            clean_session: self.clean_session,
            keepalive_secs,
            credentials,
            will: self.will()?,
            version: self.version,
        })
    }

    fn address(&self) -> Result<bank_mqtt::Address, String> {
        // Ticking TLS is the same as typing mqtts://, default port included.
        let host = match self.tls && !self.host.contains("://") {
            true => format!("mqtts://{}", self.host.trim()),
            false => self.host.clone(),
        };
        let mut address = bank_mqtt::address::parse(&host).map_err(|error| error.to_string())?;
        let port = self.port.trim();
        if !port.is_empty() {
            address.port = match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(format!("'{port}' is not a port. Enter a number from 1 to 65535, such as 1883.")),
            };
        }
        Ok(address)
    }

    fn will(&self) -> Result<Option<Will>, String> {
        if self.will_topic.is_empty() {
            return Ok(None);
        }
        check_topic(&self.will_topic).map_err(|error| format!("Last will: {error}"))?;
        check_qos(self.will_qos)?;
        if self.will_message.len() > MESSAGE_BYTES_MAX {
            return Err(format!("The last will's message is longer than {MESSAGE_BYTES_MAX} bytes."));
        }
        Ok(Some(Will {
            topic: self.will_topic.clone(),
            payload: self.will_message.clone().into_bytes(),
            qos: self.will_qos,
            retained: self.will_retained,
        }))
    }
}

pub fn check_qos(qos: u8) -> Result<(), String> {
    match qos {
        0..=2 => Ok(()),
        _ => Err(format!("QoS {qos} does not exist: choose 0, 1 or 2.")),
    }
}
