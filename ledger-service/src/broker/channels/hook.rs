//! The rmqtt hooks that feed the [`Recorder`]: connects, disconnects, subscriptions, and
//! every PUBLISH received from or delivered to a client. They observe only: each passes
//! the hook chain on unchanged.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bank_protocol::DisconnectReason;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType, Type};
use rmqtt::session::Session;
use rmqtt::types::{FromType, Reason};

use super::{Connection, Direction, Recorder};

/// The hook types [`ChannelsHook`] handles.
pub const TYPES: [Type; 6] = [
    Type::ClientConnected,
    Type::ClientDisconnected,
    Type::SessionSubscribed,
    Type::SessionUnsubscribed,
    Type::MessagePublish,
    Type::MessageDelivered,
];

pub struct ChannelsHook(pub Arc<Recorder>);

#[async_trait]
impl Handler for ChannelsHook {
    async fn hook(&self, param: &Parameter, accumulated: Option<HookResult>) -> ReturnType {
        let recorder = &self.0;
        match param {
            Parameter::ClientConnected(session) => {
                let (connection, subscriptions) = connection(session).await;
                recorder.connected(&session.id.client_id, connection, subscriptions, Instant::now());
            }
            Parameter::ClientDisconnected(session, reason) => {
                let id = &session.id;
                recorder.disconnected(&id.client_id, id.lid, id.create_time, disconnect_reason(reason), Instant::now());
            }
            Parameter::SessionSubscribed(session, subscribe) => {
                recorder.subscribed(&session.id.client_id, &subscribe.topic_filter);
            }
            Parameter::SessionUnsubscribed(session, unsubscribe) => {
                recorder.unsubscribed(&session.id.client_id, &unsubscribe.topic_filter);
            }
            // A will is published by the broker for a client that is gone: not received from it.
            Parameter::MessagePublish(Some(session), from, publish) if !matches!(from.typ(), FromType::LastWill) => {
                recorder.message(&session.id.client_id, &publish.topic, publish.payload.len(), Direction::Received);
            }
            Parameter::MessageDelivered(session, _, publish) => {
                recorder.message(&session.id.client_id, &publish.topic, publish.payload.len(), Direction::Sent);
            }
            _ => {}
        }
        (true, accumulated)
    }
}

async fn connection(session: &Session) -> (Connection, Vec<String>) {
    let id = &session.id;
    let info = session.connect_info().await.ok();
    let connection = Connection {
        username: id.username_ref().to_string(),
        address: id.remote_addr,
        listener: id.lid,
        protocol_level: info.as_ref().map_or(0, |info| info.proto_ver()),
        keepalive_s: info.as_ref().map_or(0, |info| info.keep_alive()),
        clean_session: info.as_ref().is_some_and(|info| info.clean_start()),
        session_key: id.create_time,
    };
    let subscriptions = match session.subscriptions().await {
        Ok(subscriptions) => subscriptions.read().await.keys().map(|filter| filter.to_string()).collect(),
        Err(_) => Vec::new(),
    };
    (connection, subscriptions)
}

/// rmqtt reports every reason it gathered, in order: the first is the cause.
fn disconnect_reason(reason: &Reason) -> DisconnectReason {
    match reason {
        Reason::Reasons(reasons) => reasons.first().map_or(DisconnectReason::Other, disconnect_reason),
        Reason::ConnectDisconnect(_) => DisconnectReason::ClientDisconnected,
        Reason::ConnectRemoteClose => DisconnectReason::ConnectionClosed,
        Reason::ConnectKeepaliveTimeout => DisconnectReason::KeepaliveTimeout,
        Reason::ConnectKicked(_) => DisconnectReason::TakenOver,
        Reason::ConnectReadWriteError | Reason::ConnectReadWriteTimeout => DisconnectReason::NetworkError,
        Reason::Error(text) if text.contains("shutdown") => DisconnectReason::BrokerShutdown,
        _ => DisconnectReason::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_rmqtt_reasons_is_the_cause() {
        let closed = Reason::Reasons(vec![Reason::ConnectRemoteClose, Reason::Unknown]);
        assert_eq!(disconnect_reason(&closed), DisconnectReason::ConnectionClosed);
        assert_eq!(disconnect_reason(&Reason::Reasons(Vec::new())), DisconnectReason::Other);
        assert_eq!(disconnect_reason(&Reason::from_static("broker shutdown")), DisconnectReason::BrokerShutdown);
        assert_eq!(disconnect_reason(&Reason::ConnectKicked(false)), DisconnectReason::TakenOver);
    }
}
