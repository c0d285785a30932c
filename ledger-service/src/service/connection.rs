//! The ledger's MQTT connection: an ordinary rumqttc client, whether the broker is
//! embedded in this process or external. Its event loop is polled without pause and
//! never waits on the worker, so the worker's publishes can always drain.

use std::time::Duration;

use bank_mqtt::Backoff;
use bank_protocol::{Online, topics};
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, LastWill, Outgoing, Packet, Publish, QoS,
    SubscribeReasonCode,
};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use super::ServiceError;

/// Requests are up to 64 KiB; larger ones must still arrive, so they can be refused by name.
const PACKET_BYTES_MAX: usize = 1024 * 1024;
const RETRY_DELAY_MIN: Duration = Duration::from_millis(250);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(10);
/// Far above any broker's in-flight window, so QoS 1 requests never find it full.
pub const REQUESTS_QUEUED_MAX: usize = 4096;
/// The ledger's QoS 1 publishes awaiting the broker's PUBACK. rumqttc's default of 100 made
/// a batch's answers wait for round trips; the brokers take a whole batch's answers at once.
const PUBLISHES_IN_FLIGHT_MAX: u16 = 1024;
/// The worker's publishes and acks waiting for the event loop.
const CLIENT_REQUESTS_QUEUED_MAX: usize = 1024;

/// Where the broker is and how the ledger logs in to it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub tls: bool,
}

impl Endpoint {
    /// Parses `mqtt://user:pass@host:port` (or `mqtts://` for TLS with the public web
    /// roots). The address part is read as every device reads one.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let example = "for example mqtt://ledger:PASSWORD@127.0.0.1:1883";
        let (scheme, rest) = url.split_once("://").map_or(("", url), |(scheme, rest)| (scheme, rest));
        let Some((user_info, host_port)) = rest.rsplit_once('@') else {
            return Err(format!("--broker needs the ledger's user and password; {example}"));
        };
        let (username, password) = user_info
            .split_once(':')
            .ok_or_else(|| format!("--broker needs the ledger's user and password; {example}"))?;
        let address = if scheme.is_empty() { host_port.to_string() } else { format!("{scheme}://{host_port}") };
        let address = bank_mqtt::address::parse(&address).map_err(|error| format!("--broker {url:?}: {error}"))?;
        let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
        Ok(Endpoint {
            host: address.host,
            port: address.port,
            username: decode(username),
            password: decode(password),
            tls: address.tls,
        })
    }

    /// Stable across restarts, so the persistent session and the requests queued in it
    /// while the ledger was down survive; derived from the password, so no device can
    /// guess it and take the session over (Mosquitto lets any user claim any client id).
    fn client_id(&self) -> String {
        let digest = Sha256::digest(format!("{}\0{}", self.username, self.password).as_bytes());
        let hex: String = digest[..12].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("ledger-{hex}")
    }

    pub fn connect(&self) -> Result<(AsyncClient, EventLoop), String> {
        let tls = self.tls.then(|| bank_mqtt::client::tls_config(None)).transpose()?;
        let mut options = bank_mqtt::client::options(self.client_id(), &self.host, self.port, PACKET_BYTES_MAX, tls);
        options
            .set_credentials(&self.username, &self.password)
            .set_clean_session(false)
            .set_manual_acks(true)
            .set_keep_alive(Duration::from_secs(20))
            .set_inflight(PUBLISHES_IN_FLIGHT_MAX)
            .set_last_will(LastWill::new(topics::LEDGER_STATUS, Online::json(false), QoS::AtLeastOnce, true));
        Ok(bank_mqtt::client::client(options, CLIENT_REQUESTS_QUEUED_MAX))
    }
}

/// Polls the event loop until the connection ends: forwards requests to the worker and
/// announces each CONNACK. Returns `Ok` after a clean disconnect.
pub async fn pump(
    mut eventloop: EventLoop,
    requests: mpsc::Sender<Publish>,
    connections: watch::Sender<u64>,
) -> Result<(), ServiceError> {
    let mut backoff = Backoff::new(RETRY_DELAY_MIN, RETRY_DELAY_MAX);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                tracing::info!(session_present = ack.session_present, "connected to the broker");
                backoff.reset();
                connections.send_modify(|count| *count += 1);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => forward(&requests, publish),
            Ok(Event::Incoming(Packet::SubAck(ack))) if ack.return_codes.contains(&SubscribeReasonCode::Failure) => {
                return Err(ServiceError::SubscriptionRefused);
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
            Ok(_) => {}
            Err(ConnectionError::ConnectionRefused(code)) if code != ConnectReturnCode::ServiceUnavailable => {
                return Err(ServiceError::LoginRefused(format!("{code:?}")));
            }
            Err(error) => {
                let retry_in = backoff.next_delay();
                tracing::warn!(%error, "no connection to the broker; retrying in {retry_in:?}");
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

fn forward(requests: &mpsc::Sender<Publish>, publish: Publish) {
    if let Err(mpsc::error::TrySendError::Full(publish)) = requests.try_send(publish) {
        // Left unacknowledged: the broker redelivers it when the ledger next reconnects,
        // and the device's own retry reaches the ledger meanwhile.
        tracing::warn!(topic = %publish.topic, "ledger is {REQUESTS_QUEUED_MAX} requests behind; request left unacknowledged");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_need_credentials_and_a_known_scheme() {
        let endpoint = Endpoint::parse("mqtt://ledger:p%40s+s@127.0.0.1:1884").unwrap();
        assert_eq!(
            (
                endpoint.host.as_str(),
                endpoint.port,
                endpoint.username.as_str(),
                endpoint.password.as_str(),
                endpoint.tls
            ),
            ("127.0.0.1", 1884, "ledger", "p@s+s", false)
        );
        assert_eq!(Endpoint::parse("mqtts://ledger:x@broker.lan").unwrap().port, 8883);
        for (url, expected) in [
            ("localhost:1883", "user and password"),
            ("mqtt://127.0.0.1:1883", "user and password"),
            ("mqtt://ledger@127.0.0.1:1883", "user and password"),
            ("http://a:b@h", "Use mqtt://host:1883"),
            ("mqtt://a:b@:1", "Enter the broker's address"),
            ("mqtt://a:b@h:0", "'0' is not a port"),
        ] {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}
