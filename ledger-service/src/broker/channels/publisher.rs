//! Publishes the channel status, retained, on `bank/broker/status` through the ledger's
//! own connection, so the broker's ACL (only the ledger may publish there) applies to it
//! as to anyone. With the embedded broker: at most once per [`INTERVAL`], only when
//! something changed. With an external broker there is nothing to record, so the ledger
//! says that instead. Both are published again after every (re)connect, in case the
//! broker lost its retained messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bank_protocol::{BrokerStatus, Timestamp, topics};
use rumqttc::{AsyncClient, QoS};
use tokio::sync::watch;

use super::{Recorder, fitted};

pub const INTERVAL: Duration = Duration::from_secs(1);

/// Runs until shutdown. `recorder` is `None` with an external broker.
pub async fn run(
    client: AsyncClient,
    recorder: Option<Arc<Recorder>>,
    mut connections: watch::Receiver<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published: Option<u64> = None;
    loop {
        let reconnected = tokio::select! {
            _ = ticks.tick() => false,
            changed = connections.changed() => {
                if changed.is_err() {
                    return;
                }
                true
            }
            _ = shutdown.changed() => return,
        };
        if reconnected {
            published = None;
        }
        let payload = match &recorder {
            Some(recorder) => {
                let revision = recorder.revision();
                if published == Some(revision) {
                    continue;
                }
                published = Some(revision);
                fitted(recorder.snapshot(Instant::now()))
            }
            None if reconnected => BrokerStatus::External { at: Timestamp::now() }.json(),
            None => continue,
        };
        // Only fails once the client is gone, at shutdown.
        if client.publish(topics::BROKER_STATUS, QoS::AtLeastOnce, true, payload).await.is_err() {
            return;
        }
    }
}
