//! The utility's link in MQTT 5, through rumqttc's `v5` module: the same events as the
//! 3.1.1 link, plus what MQTT 5 adds, the broker's reason codes (a PUBACK that refuses,
//! a SUBACK that says why, a DISCONNECT from the broker).

use std::sync::{Arc, Mutex};

use bank_mqtt::Backoff;
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode, LastWill, Packet, PubAckReason, PubCompReason, SubscribeReasonCode,
};
use rumqttc::v5::{AsyncClient, ConnectionError, Event as MqttEvent, EventLoop, StateError};
use tokio::sync::oneshot;

use super::{PACKET_BYTES_MAX, REQUESTS_QUEUED_MAX, RETRY_DELAY_MAX, RETRY_DELAY_MIN, Unacked, lock, published};
use crate::utility::{ConnectOptions, Event};

pub(super) fn qos_of(qos: u8) -> QoS {
    match qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn qos_number(qos: QoS) -> u8 {
    match qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 1,
        QoS::ExactlyOnce => 2,
    }
}

pub(super) fn open(options: &ConnectOptions, tls: Option<Arc<rustls::ClientConfig>>) -> (AsyncClient, EventLoop) {
    let client_id = options.client_id.clone();
    let mut mqtt = bank_mqtt::client::options_v5(client_id, &options.host, options.port, PACKET_BYTES_MAX, tls);
    mqtt.set_clean_start(options.clean_session)
        .set_keep_alive(std::time::Duration::from_secs(options.keepalive_secs.into()));
    if let Some((username, password)) = &options.credentials {
        mqtt.set_credentials(username, password);
    }
    if let Some(will) = &options.will {
        mqtt.set_last_will(LastWill::new(&will.topic, will.payload.clone(), qos_of(will.qos), will.retained, None));
    }
    bank_mqtt::client::client_v5(mqtt, REQUESTS_QUEUED_MAX)
}

/// As the 3.1.1 link's loop: polls until told to stop or refused, reconnecting with backoff.
pub(super) async fn run(
    mut eventloop: EventLoop,
    mut stop: oneshot::Receiver<()>,
    report: impl Fn(Event),
    target: String,
    unacked: Arc<Mutex<Unacked>>,
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
                report(Event::Connected);
            }
            // The lock is released before `report`, which may queue requests that take it.
            Ok(MqttEvent::Incoming(packet)) => {
                let event = incoming(&mut lock(&unacked), packet);
                event.map(&report);
            }
            Ok(MqttEvent::Outgoing(outgoing)) => {
                let event = lock(&unacked).outgoing(outgoing);
                event.map(&report);
            }
            Err(ConnectionError::ConnectionRefused(code)) => {
                return report(Event::Refused { reason: refusal(code) });
            }
            Err(error) => {
                let retry_in = backoff.next_delay();
                report(Event::Lost { reason: describe(&error, &target), retry_in });
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(retry_in) => {}
                }
            }
        }
    }
}

fn incoming(unacked: &mut Unacked, packet: Packet) -> Option<Event> {
    match packet {
        Packet::Publish(publish) => Some(Event::Received {
            topic: String::from_utf8_lossy(&publish.topic).into_owned(),
            payload: publish.payload.to_vec(),
            qos: qos_number(publish.qos),
            retained: publish.retain,
        }),
        Packet::SubAck(ack) => {
            let filter = unacked.sent_subscribes.remove(&ack.pkid)?;
            let granted = match ack.return_codes.first() {
                Some(SubscribeReasonCode::Success(qos)) => Ok(qos_number(*qos)),
                Some(code) => Err(format!("{code:?}")),
                None => Err("no reason code".into()),
            };
            Some(Event::SubAck { filter, granted })
        }
        Packet::UnsubAck(ack) => unacked.sent_unsubscribes.remove(&ack.pkid).map(|filter| Event::UnsubAck { filter }),
        Packet::PubAck(ack) => {
            let outbound = unacked.sent_publishes.remove(&ack.pkid)?;
            match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => Some(published(outbound)),
                reason => Some(Event::PublishRefused { topic: outbound.topic, reason: format!("{reason:?}") }),
            }
        }
        Packet::PubComp(comp) => {
            let outbound = unacked.sent_publishes.remove(&comp.pkid)?;
            match comp.reason {
                PubCompReason::Success => Some(published(outbound)),
                reason => Some(Event::PublishRefused { topic: outbound.topic, reason: format!("{reason:?}") }),
            }
        }
        _ => None,
    }
}

/// Lets the DISCONNECT already queued reach the broker, for at most a second.
async fn say_goodbye(mut eventloop: EventLoop) {
    let flushed = async {
        loop {
            match eventloop.poll().await {
                Ok(MqttEvent::Outgoing(Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), flushed).await;
}

fn refusal(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::BadUserNamePassword => {
            "the broker refused the user name or password. Check both and connect again".into()
        }
        ConnectReturnCode::NotAuthorized => {
            "the broker did not authorize this client. Check the user name and password".into()
        }
        ConnectReturnCode::ClientIdentifierNotValid => {
            "the broker refused the client id. Choose another and connect again".into()
        }
        ConnectReturnCode::UnsupportedProtocolVersion => {
            "the broker does not speak MQTT 5: choose MQTT 3.1.1 and connect again".into()
        }
        code => format!("the broker refused the connection ({code:?})"),
    }
}

/// A reason a person can act on, as the 3.1.1 link words it.
fn describe(error: &ConnectionError, target: &str) -> String {
    match error {
        ConnectionError::Io(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("nothing is listening at {target}")
        }
        ConnectionError::Io(error) => format!("cannot reach {target} ({error})"),
        ConnectionError::Tls(error) => format!("the TLS handshake with {target} failed ({error})"),
        ConnectionError::MqttState(StateError::ServerDisconnect { reason_code, reason_string }) => {
            match reason_string {
                Some(reason) => format!("the broker disconnected this client ({reason_code:?}: {reason})"),
                None => format!("the broker disconnected this client ({reason_code:?})"),
            }
        }
        ConnectionError::MqttState(StateError::AwaitPingResp) => "the broker stopped answering".into(),
        ConnectionError::MqttState(StateError::Io(_)) => "the connection to the broker was closed".into(),
        ConnectionError::NotConnAck(_) => format!("{target} does not speak MQTT 5"),
        ConnectionError::Timeout(_) => format!("{target} did not answer in time"),
        error => format!("the connection to {target} failed ({error})"),
    }
}
