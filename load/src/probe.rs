//! The live-update check: while the whole fleet is connected, does a transfer's balance
//! update still reach a watching device within milliseconds? 00001 pays 00002 0.01 at a
//! time; the time runs from the payer's PUBLISH to the watcher's `balanceUpdate`.
//!
//! The payer and the watcher are two more devices of the fleet's form, but with a clean
//! session, so earlier runs leave no queued updates to arrive before the one we time.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::conn::Connection;
use crate::identity::{self, Identity};
use crate::mqtt::{self, CONNACK_ACCEPTED, Login, Packet};

const PAYER: &str = "00001";
const WATCHER: &str = "00002";
/// Device indexes above any fleet device's.
const PAYER_INDEX: u64 = identity::DEVICE_INDEX_MAX + 1;
const WATCHER_INDEX: u64 = identity::DEVICE_INDEX_MAX + 2;
const REPLY_MAX: Duration = Duration::from_secs(30);
/// Packets read while waiting for one reply.
const PACKETS_PER_REPLY_MAX: u32 = 1024;

/// One latency per sample, in order.
pub async fn live_update(
    target: SocketAddr,
    password: &str,
    fleet_id: u16,
    samples: usize,
) -> Result<Vec<Duration>, String> {
    let payer = Identity { account: PAYER.into(), device_id: identity::device_id(fleet_id, PAYER_INDEX) };
    let watcher = Identity { account: WATCHER.into(), device_id: identity::device_id(fleet_id, WATCHER_INDEX) };
    let mut paying = sign_in(target, &payer, password, &identity::transfer_result_topic(PAYER)).await?;
    let mut watching = sign_in(target, &watcher, password, &watcher.balance_topic()).await?;
    let mut version = next_version(&mut watching, None).await?;
    let mut latencies = Vec::with_capacity(samples);
    for sample in 0..samples {
        let id = uuid::Uuid::now_v7().to_string();
        let request = serde_json::json!({"id": id, "to": WATCHER, "amount": "0.01", "memo": "bank-load"}).to_string();
        let packet_id = 1 + (sample % 60_000) as u16;
        let publish = mqtt::publish_qos1(packet_id, &identity::transfer_request_topic(PAYER), request.as_bytes());
        let sent = Instant::now();
        paying.send(&publish).await.map_err(|error| format!("the payer's PUBLISH: {error}"))?;
        version = next_version(&mut watching, Some(version)).await?;
        latencies.push(sent.elapsed());
        accepted(&mut paying, &id).await?;
    }
    paying.close().await;
    watching.close().await;
    Ok(latencies)
}

async fn sign_in(target: SocketAddr, who: &Identity, password: &str, topic: &str) -> Result<Connection, String> {
    let mut conn = within(Connection::open(target, None)).await.map_err(|error| format!("connect: {error}"))?;
    let client_id = who.client_id();
    let login =
        Login { client_id: &client_id, username: &who.account, password, keepalive_secs: 60, clean_session: true };
    conn.send(&mqtt::connect(&login)).await.map_err(|error| error.to_string())?;
    match within(conn.next()).await? {
        Packet::ConnAck { code: CONNACK_ACCEPTED, .. } => {}
        other => return Err(format!("{} could not sign in: {other:?}", who.account)),
    }
    conn.send(&mqtt::subscribe(1, &[topic], 1)).await.map_err(|error| error.to_string())?;
    Ok(conn)
}

/// Waits for a balance update newer than `version` (any, the retained one, for `None`)
/// and returns its version.
async fn next_version(watching: &mut Connection, version: Option<u64>) -> Result<u64, String> {
    for _ in 0..PACKETS_PER_REPLY_MAX {
        if let Packet::Publish { packet_id, payload, .. } = within(watching.next()).await? {
            acknowledge(watching, packet_id).await?;
            let update: serde_json::Value = serde_json::from_slice(&payload).map_err(|error| error.to_string())?;
            match update["version"].as_u64() {
                Some(seen) if version.is_none_or(|version| seen > version) => return Ok(seen),
                _ => {}
            }
        }
    }
    Err("no newer balance update among the packets that came".into())
}

/// Waits for the payer's result for `id`; a rejection (say, 00001 ran out of money) ends the check.
async fn accepted(paying: &mut Connection, id: &str) -> Result<(), String> {
    for _ in 0..PACKETS_PER_REPLY_MAX {
        if let Packet::Publish { packet_id, payload, .. } = within(paying.next()).await? {
            acknowledge(paying, packet_id).await?;
            let result: serde_json::Value = serde_json::from_slice(&payload).map_err(|error| error.to_string())?;
            if result["id"].as_str() == Some(id) {
                return match result["status"].as_str() {
                    Some("accepted") => Ok(()),
                    _ => Err(format!("the ledger rejected the transfer: {result}")),
                };
            }
        }
    }
    Err("no transfer result among the packets that came".into())
}

async fn acknowledge(conn: &mut Connection, packet_id: Option<u16>) -> Result<(), String> {
    match packet_id {
        Some(id) => conn.send(&mqtt::puback(id)).await.map_err(|error| error.to_string()),
        None => Ok(()),
    }
}

async fn within<T>(future: impl Future<Output = std::io::Result<T>>) -> Result<T, String> {
    match tokio::time::timeout(REPLY_MAX, future).await {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(_) => Err(format!("no answer within {REPLY_MAX:?}")),
    }
}
