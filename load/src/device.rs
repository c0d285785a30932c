//! One device of the fleet: sign in, get the retained balance (and, with `--tokens`, a
//! device token), stay connected with PINGREQs, and after a drop come back the way
//! bank-core's link does: a delay that doubles from `retry_min_ms` to `retry_max_ms`,
//! each wait a random half to all of it, so devices that lost the ledger together do not
//! all return in the same instant.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::conn::Connection;
use crate::identity::Identity;
use crate::mqtt::{self, CONNACK_ACCEPTED, Login, Packet, SUBACK_FAILURE};
use crate::wire::WorkerConfig;

/// Sign-in attempts per outage; the retry deadline usually ends it first.
const ATTEMPTS_MAX: u32 = 1000;
/// Times one device may lose its connection and come back before it stops for good.
const SESSIONS_MAX: u32 = 10_000;
/// Packets a device reads while waiting for one reply (SUBACK, retained balance, token).
const PACKETS_PER_REPLY_MAX: u32 = 256;
const SUBSCRIBE_ID: u16 = 1;
/// CONNACK return codes that refuse the credentials themselves.
const BAD_CREDENTIALS: u8 = 4;
const NOT_AUTHORISED: u8 = 5;
const TOKEN_REQUEST_ID: u16 = 2;

pub struct Device {
    /// Index within its worker, for the worker's tally.
    pub slot: usize,
    pub identity: Identity,
    pub source: Option<IpAddr>,
}

/// What all devices of one worker share.
pub struct Shared {
    pub config: WorkerConfig,
    pub events: mpsc::Sender<Event>,
    /// Bumped by the parent before it kills the ledger; a sign-in is counted in the
    /// generation that was current when it began.
    pub mark: watch::Receiver<u32>,
    /// Bounds the first sign-ins in flight; reconnects are spread by their backoff instead,
    /// as real phones' are.
    pub gate: Semaphore,
}

pub struct Event {
    pub slot: usize,
    pub kind: EventKind,
}

pub enum EventKind {
    Attempt,
    AttemptFailed(String),
    Refused(u8),
    Ready { generation: u32, sign_in: Duration, with_token: bool },
    Lost(String),
    TokenIssued,
    TokenFailed(String),
    TokenRefused,
    GaveUp(String),
}

enum Failure {
    /// Worth another attempt after the backoff.
    Retry(String),
    /// The broker refused the password: retrying cannot help.
    Refused(u8),
    /// The broker refused the token: the next attempt uses the password.
    TokenRefused,
    Fatal(String),
}

#[derive(Default)]
struct Tokens {
    token: Option<String>,
    /// The ledger refused the token topics, so it has no device tokens: stop asking.
    unsupported: bool,
}

pub async fn run(device: Device, shared: Arc<Shared>) {
    let mut tokens = Tokens::default();
    let Some(mut conn) = get_in(&device, &shared, &mut tokens, true).await else { return };
    for _ in 0..SESSIONS_MAX {
        let why = stay_connected(&mut conn, Duration::from_secs(shared.config.keepalive_secs.into())).await;
        report(&shared, &device, EventKind::Lost(why)).await;
        match get_in(&device, &shared, &mut tokens, false).await {
            Some(again) => conn = again,
            None => return,
        }
    }
}

/// Signs in, retrying with backoff until it works, the password is refused, or the retry
/// deadline passes. The sign-in time runs from the first attempt (first connect) or from
/// the loss of the connection (reconnect).
async fn get_in(device: &Device, shared: &Shared, tokens: &mut Tokens, first: bool) -> Option<Connection> {
    let config = &shared.config;
    let mut started = (!first).then(Instant::now);
    for attempt in 0..ATTEMPTS_MAX {
        if attempt > 0 || !first {
            sleep(backoff(config.retry_min_ms, config.retry_max_ms, attempt)).await;
        }
        if started.is_some_and(|at| at.elapsed() > Duration::from_secs(config.retry_deadline_secs)) {
            break;
        }
        let generation = *shared.mark.borrow();
        let _permit = match first {
            true => Some(shared.gate.acquire().await.expect("the gate is never closed")),
            false => None,
        };
        let since = *started.get_or_insert_with(Instant::now);
        report(shared, device, EventKind::Attempt).await;
        let with_token = tokens.token.is_some();
        let kind = match sign_in(device, shared, tokens).await {
            Ok(conn) => {
                let ready = EventKind::Ready { generation, sign_in: since.elapsed(), with_token };
                report(shared, device, ready).await;
                return Some(conn);
            }
            Err(Failure::Retry(why)) => EventKind::AttemptFailed(why),
            Err(Failure::TokenRefused) => {
                tokens.token = None;
                EventKind::TokenRefused
            }
            Err(Failure::Refused(code)) => {
                report(shared, device, EventKind::Refused(code)).await;
                let why = format!("the broker refused the password (CONNACK {code})");
                report(shared, device, EventKind::GaveUp(why)).await;
                return None;
            }
            Err(Failure::Fatal(why)) => {
                report(shared, device, EventKind::GaveUp(why)).await;
                return None;
            }
        };
        report(shared, device, kind).await;
    }
    report(shared, device, EventKind::GaveUp("still out at the retry deadline".into())).await;
    None
}

async fn sign_in(device: &Device, shared: &Shared, tokens: &mut Tokens) -> Result<Connection, Failure> {
    let config = &shared.config;
    let reply = Duration::from_secs(config.reply_timeout_secs);
    let opened = timeout(reply, Connection::open(config.target, device.source)).await;
    let mut conn = opened.map_err(|_| retry("connect", "timed out"))?.map_err(|error| retry("connect", error))?;
    let client_id = device.identity.client_id();
    let password = tokens.token.as_deref().unwrap_or(&config.password);
    let login = Login {
        client_id: &client_id,
        username: &device.identity.account,
        password,
        keepalive_secs: config.keepalive_secs,
        clean_session: false,
    };
    conn.send(&mqtt::connect(&login)).await.map_err(|error| retry("CONNECT", error))?;
    match within(reply, "CONNACK", conn.next()).await? {
        Packet::ConnAck { code: CONNACK_ACCEPTED, .. } => {}
        Packet::ConnAck { code: BAD_CREDENTIALS, .. } if tokens.token.is_some() => return Err(Failure::TokenRefused),
        Packet::ConnAck { code: BAD_CREDENTIALS, .. } => return Err(Failure::Refused(BAD_CREDENTIALS)),
        // ledger-service's "too many passwords waiting to be checked": try again after the backoff.
        Packet::ConnAck { code: NOT_AUTHORISED, .. } => return Err(retry("CONNACK", "busy (return code 5)")),
        // Say, 3 (server unavailable) from a busy broker: worth another try.
        Packet::ConnAck { code, .. } => return Err(retry("CONNACK", format!("return code {code}"))),
        _ => return Err(retry("CONNACK", "another packet came first")),
    }
    let ask_token = config.tokens && tokens.token.is_none() && !tokens.unsupported;
    let token_topic_granted = subscribe(&mut conn, &device.identity, ask_token, reply).await?;
    if ask_token && !token_topic_granted {
        tokens.unsupported = true;
        let why = "the ledger refused the token result topic (no device tokens on this ledger)".to_string();
        report(shared, device, EventKind::TokenFailed(why)).await;
    }
    if ask_token && token_topic_granted {
        let event = match request_token(&mut conn, &device.identity, reply).await? {
            Ok(token) => {
                tokens.token = Some(token);
                EventKind::TokenIssued
            }
            Err(why) => EventKind::TokenFailed(why),
        };
        report(shared, device, event).await;
    }
    Ok(conn)
}

/// Subscribes to the balance (and the token result topic when asked) and waits for the
/// SUBACK and the retained balance. Says whether the token topic was granted.
async fn subscribe(
    conn: &mut Connection,
    identity: &Identity,
    with_token: bool,
    reply: Duration,
) -> Result<bool, Failure> {
    let balance = identity.balance_topic();
    let token_result = identity.token_result_topic();
    let filters: Vec<&str> = if with_token { vec![&balance, &token_result] } else { vec![&balance] };
    conn.send(&mqtt::subscribe(SUBSCRIBE_ID, &filters, 1)).await.map_err(|error| retry("SUBSCRIBE", error))?;
    let deadline = Instant::now() + reply;
    let (mut granted, mut got_balance) = (None, false);
    for _ in 0..PACKETS_PER_REPLY_MAX {
        match within_until(deadline, "the retained balance", conn.next()).await? {
            Packet::SubAck { packet_id: SUBSCRIBE_ID, codes } => {
                if codes.first() == Some(&SUBACK_FAILURE) {
                    return Err(Failure::Fatal(format!("the broker refused the subscription to {balance}")));
                }
                granted = Some(codes.get(1).is_some_and(|code| *code != SUBACK_FAILURE));
            }
            Packet::Publish { topic, packet_id, .. } => {
                acknowledge(conn, packet_id).await?;
                got_balance |= topic == balance;
            }
            _ => {}
        }
        if let (Some(granted), true) = (granted, got_balance) {
            return Ok(granted);
        }
    }
    Err(retry("the retained balance", "too many other packets first"))
}

/// Asks the ledger for a device token (the device-token spec): the outer error is the
/// connection's, the inner one the ledger's answer.
async fn request_token(
    conn: &mut Connection,
    identity: &Identity,
    reply: Duration,
) -> Result<Result<String, String>, Failure> {
    let id = uuid::Uuid::new_v4().to_string();
    let request = serde_json::json!({"id": id, "name": "load device"}).to_string();
    let publish = mqtt::publish_qos1(TOKEN_REQUEST_ID, &identity.token_issue_topic(), request.as_bytes());
    conn.send(&publish).await.map_err(|error| retry("token request", error))?;
    let (result_topic, deadline) = (identity.token_result_topic(), Instant::now() + reply);
    for _ in 0..PACKETS_PER_REPLY_MAX {
        let Packet::Publish { topic, packet_id, payload, .. } =
            within_until(deadline, "the token result", conn.next()).await?
        else {
            continue;
        };
        acknowledge(conn, packet_id).await?;
        if topic == result_topic
            && let Some(answer) = token_answer(&payload, &id)
        {
            return Ok(answer);
        }
    }
    Ok(Err("no token result among the packets that came".into()))
}

/// The ledger's answer to request `id`, or `None` when the payload answers another request.
fn token_answer(payload: &[u8], id: &str) -> Option<Result<String, String>> {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return Some(Err("a token result that is not JSON".into()));
    };
    if answer["id"].as_str() != Some(id) {
        return None;
    }
    Some(match (answer["status"].as_str(), answer["token"].as_str()) {
        (Some("issued"), Some(token)) => Ok(token.to_string()),
        _ => Err(format!("token {}: {}", answer["reason"].as_str().unwrap_or("not issued"), answer["message"])),
    })
}

/// Keeps the connection alive until it drops; says why it dropped. It runs as long as the
/// connection lives: the worker ends it by exiting.
async fn stay_connected(conn: &mut Connection, keepalive: Duration) -> String {
    // A random first ping, so devices that connected together do not ping together.
    let mut ping_at = Instant::now() + keepalive.mul_f64(0.5 + fastrand::f64() / 2.0);
    let mut pong_pending = false;
    loop {
        tokio::select! {
            packet = conn.next() => match packet {
                Ok(Packet::Publish { packet_id: Some(id), .. }) => {
                    if let Err(error) = conn.send(&mqtt::puback(id)).await {
                        return error.to_string();
                    }
                }
                Ok(Packet::PingResp) => pong_pending = false,
                Ok(_) => {}
                Err(error) => return error.to_string(),
            },
            _ = sleep_until(ping_at) => {
                if pong_pending {
                    return "no PINGRESP within the keepalive".into();
                }
                if let Err(error) = conn.send(&mqtt::pingreq()).await {
                    return error.to_string();
                }
                pong_pending = true;
                ping_at += keepalive;
            }
        }
    }
}

async fn acknowledge(conn: &mut Connection, packet_id: Option<u16>) -> Result<(), Failure> {
    match packet_id {
        Some(id) => conn.send(&mqtt::puback(id)).await.map_err(|error| retry("PUBACK", error)),
        None => Ok(()),
    }
}

async fn report(shared: &Shared, device: &Device, kind: EventKind) {
    // The worker only stops reading when it exits, and then this task ends with it.
    let _ = shared.events.send(Event { slot: device.slot, kind }).await;
}

/// Half to all of a delay that doubles with every failure, from `min_ms` up to `max_ms`.
pub fn backoff(min_ms: u64, max_ms: u64, failures: u32) -> Duration {
    let full_ms = min_ms.saturating_mul(1 << failures.min(20)).min(max_ms).max(1);
    Duration::from_millis(full_ms / 2 + fastrand::u64(0..=full_ms - full_ms / 2))
}

fn retry(stage: &str, error: impl std::fmt::Display) -> Failure {
    Failure::Retry(format!("{stage}: {error}"))
}

async fn within<T>(limit: Duration, stage: &str, future: impl Future<Output = io::Result<T>>) -> Result<T, Failure> {
    within_until(Instant::now() + limit, stage, future).await
}

async fn within_until<T>(
    deadline: Instant,
    stage: &str,
    future: impl Future<Output = io::Result<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout_at(deadline, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(retry(stage, error)),
        Err(_) => Err(retry(stage, "timed out")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_minimum_to_the_maximum_with_jitter() {
        for _ in 0..200 {
            let first = backoff(500, 30_000, 0);
            assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500), "{first:?}");
            let third = backoff(500, 30_000, 2);
            assert!(third >= Duration::from_millis(1000) && third <= Duration::from_millis(2000), "{third:?}");
            let late = backoff(500, 30_000, 40);
            assert!(late >= Duration::from_millis(15_000) && late <= Duration::from_millis(30_000), "{late:?}");
        }
    }

    #[test]
    fn token_answers_are_matched_by_id() {
        let issued = br#"{"id":"a","status":"issued","token":"bt1.abc"}"#;
        assert_eq!(token_answer(issued, "a"), Some(Ok("bt1.abc".to_string())));
        assert_eq!(token_answer(issued, "b"), None);
        let rejected = br#"{"id":"a","status":"rejected","reason":"too_many","message":"m"}"#;
        assert_eq!(token_answer(rejected, "a"), Some(Err("token too_many: \"m\"".to_string())));
        assert!(matches!(token_answer(b"nope", "a"), Some(Err(_))));
    }
}
