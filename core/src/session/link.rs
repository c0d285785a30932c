//! One MQTT connection, polled without pause by its own task. It reports what happens
//! as [`LinkEvent`]s, and reconnects with exponential backoff and jitter until told to
//! stop or until the broker refuses the login. The desktop's operator explorer runs its
//! own connection on the same loop.

use std::sync::Arc;
use std::time::Duration;

use bank_mqtt::Backoff;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event as MqttEvent, EventLoop, LastWill, MqttOptions, Outgoing,
    Packet, QoS, StateError,
};
use tokio::sync::{oneshot, watch};

use crate::protocol::{Presence, Timestamp, Topic};

use super::config::{SessionError, Settings};

/// History pages are up to 64 KiB; rumqttc's default of 10 KiB would drop them.
const PACKET_BYTES_MAX: usize = 256 * 1024;
const REQUESTS_QUEUED_MAX: usize = 256;
const RETRY_DELAY_MIN: Duration = Duration::from_millis(500);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(30);
/// How long a disconnect may take to say goodbye before the connection is dropped.
const GOODBYE_MS_MAX: u64 = 1000;

pub(super) fn open(settings: &Settings, device_id: &str, secret: &str) -> (AsyncClient, EventLoop) {
    let account = settings.account;
    let client_id = format!("bank-{account}-{device_id}");
    let mut options = options(client_id, &settings.host, settings.port, settings.tls.clone());
    // A will is fixed at CONNECT, so it can only say when this connection began.
    let goodbye = Presence { online: false, name: Some(settings.device_name.clone()), at: Some(Timestamp::now()) };
    options
        .set_credentials(account.as_str(), secret)
        .set_clean_session(false)
        .set_keep_alive(settings.keepalive)
        .set_last_will(LastWill::new(
            Topic::Presence(account, device_id).to_string(),
            goodbye.json(),
            QoS::AtLeastOnce,
            true,
        ));
    client(options)
}

/// A device's options: packets big enough for history pages, and TLS when it is given.
pub fn options(client_id: String, host: &str, port: u16, tls: Option<Arc<rustls::ClientConfig>>) -> MqttOptions {
    bank_mqtt::client::options(client_id, host, port, PACKET_BYTES_MAX, tls)
}

pub fn client(options: MqttOptions) -> (AsyncClient, EventLoop) {
    bank_mqtt::client::client(options, REQUESTS_QUEUED_MAX)
}

pub fn tls_config(ca_certificate_pem: Option<&str>) -> Result<Arc<rustls::ClientConfig>, SessionError> {
    bank_mqtt::client::tls_config(ca_certificate_pem).map_err(|message| SessionError::InvalidConfig { message })
}

/// What a connection tells its owner.
#[derive(Debug)]
pub enum LinkEvent {
    Connected,
    /// `retained` is set when the broker replays a stored message on subscribe.
    Message {
        topic: String,
        payload: Vec<u8>,
        retained: bool,
    },
    /// With a reason a person can act on, and when the next attempt is.
    Lost {
        reason: String,
        retry_in: Duration,
    },
    /// The broker refused the credentials; the loop has stopped.
    LoginRefused {
        reason: String,
    },
}

/// A sign-in secret that may change while the link runs (a token replaces the password).
pub struct Secret {
    pub username: String,
    pub current: watch::Receiver<String>,
}

/// Polls `eventloop` until `stop` fires or the login is refused, passing events to
/// `report`. `target` is `host:port`, for messages. Every reconnect presents the
/// `secret` current at that moment.
pub async fn run(
    mut eventloop: EventLoop,
    mut stop: oneshot::Receiver<()>,
    report: impl Fn(LinkEvent),
    target: String,
    mut secret: Option<Secret>,
) {
    let mut backoff = Backoff::new(RETRY_DELAY_MIN, RETRY_DELAY_MAX);
    loop {
        let polled = tokio::select! {
            _ = &mut stop => return say_goodbye(eventloop).await,
            polled = eventloop.poll() => polled,
        };
        match polled {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                report(LinkEvent::Connected);
            }
            Ok(MqttEvent::Incoming(Packet::Publish(publish))) => {
                let retained = publish.retain;
                report(LinkEvent::Message { topic: publish.topic, payload: publish.payload.to_vec(), retained });
            }
            Ok(_) => {}
            Err(ConnectionError::ConnectionRefused(code)) if is_login_refusal(code) => {
                return report(LinkEvent::LoginRefused { reason: login_refusal(code) });
            }
            Err(error) => {
                let retry_in = backoff.next_delay();
                report(LinkEvent::Lost { reason: describe(&error, &target), retry_in });
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(retry_in) => {}
                }
                if let Some(secret) = secret.as_mut().filter(|secret| secret.current.has_changed().unwrap_or(false)) {
                    let current = secret.current.borrow_and_update().clone();
                    eventloop.mqtt_options.set_credentials(secret.username.clone(), current);
                }
            }
        }
    }
}

/// Lets the offline presence and the DISCONNECT already queued reach the broker.
pub(super) async fn say_goodbye(mut eventloop: EventLoop) {
    let flushed = async {
        loop {
            match eventloop.poll().await {
                Ok(MqttEvent::Outgoing(Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(GOODBYE_MS_MAX), flushed).await;
}

fn is_login_refusal(code: ConnectReturnCode) -> bool {
    matches!(
        code,
        ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadClientId
    )
}

fn login_refusal(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::BadClientId => {
            "the broker refused this device's id. Sign in again as the account that owns this device".into()
        }
        // ledger-service says this when too many passwords wait to be checked; Mosquitto for a wrong password.
        ConnectReturnCode::NotAuthorized => {
            "the broker did not accept the sign-in. Check the account number and password; if they are right, \
             the ledger is busy: sign in again in a minute"
                .into()
        }
        _ => "the broker refused the account number or password. Check both and sign in again".into(),
    }
}

/// A reason a person can act on, for the connection indicator.
pub(super) fn describe(error: &ConnectionError, target: &str) -> String {
    match error {
        ConnectionError::Io(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("nothing is listening at {target} (is ledger-service running there?)")
        }
        ConnectionError::Io(error) => format!("cannot reach {target} ({error})"),
        ConnectionError::NetworkTimeout | ConnectionError::FlushTimeout => format!("{target} did not answer in time"),
        ConnectionError::Tls(error) => format!("the TLS handshake with {target} failed ({error})"),
        ConnectionError::MqttState(StateError::AwaitPingResp) => "the broker stopped answering".into(),
        ConnectionError::MqttState(StateError::Io(_)) => "the connection to the broker was closed".into(),
        ConnectionError::ConnectionRefused(code) => format!("the broker refused the connection ({code:?})"),
        ConnectionError::NotConnAck(_) => format!("{target} does not speak MQTT"),
        error => format!("the connection to {target} failed ({error})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused_with_a_hint() {
        let error = tls_config(Some("not a certificate")).unwrap_err();
        assert!(error.to_string().contains("BEGIN CERTIFICATE"), "{error}");
        assert!(tls_config(None).is_ok());
    }
}
