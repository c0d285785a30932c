//! The broker's own limit: QoS 1 publish → subscribe, pipelined, by device accounts on
//! their presence topics (so every publish and delivery passes the same ACL checks as a
//! transfer's), with payloads the mean size of a transfer's messages.

use std::time::{Duration, Instant};

use bank_protocol::{AccountId, Amount, BalanceUpdate, Direction, Entry, HistoryEntry, Timestamp, TransferResult};
use uuid::Uuid;

use crate::brokers::Bare;
use crate::load::PAYERS;

pub const PAIRS: usize = 4;
pub const MESSAGES_PER_PAIR: usize = 20_000;
const DELIVERY_WAIT_MAX: Duration = Duration::from_secs(60);

/// The mean size of the request, the result and the two balance updates of one transfer.
pub fn payload_bytes() -> usize {
    let id = Uuid::now_v7();
    let account = |text| AccountId::parse(text).unwrap();
    let request = crate::load::request(id, "00005");
    let result = TransferResult::Accepted { id, balance: Amount::from_cents(99_999), version: 1234 };
    let entry = Entry {
        id,
        direction: Direction::Out,
        counterparty: account("00005"),
        amount: Amount::from_cents(1),
        memo: None,
        at: Timestamp::now(),
    };
    let row = HistoryEntry { version: 1234, balance: Amount::from_cents(99_999), entry };
    let update = BalanceUpdate::coalesced(account("00001"), vec![row]);
    let sizes = [request.len(), serde_json::to_vec(&result).unwrap().len(), serde_json::to_vec(&update).unwrap().len()];
    (sizes[0] + sizes[1] + 2 * sizes[2]) / 4
}

/// Messages delivered per second, first publish to last delivery.
pub async fn msgs_per_s(broker: &Bare, payload_bytes: usize) -> f64 {
    let mut pairs = Vec::new();
    for payer in PAYERS.iter().take(PAIRS) {
        let topic = format!("bank/presence/{payer}/benchraw");
        let subscriber = broker.connect(payer, "demo").await;
        subscriber.subscribe(&topic).await;
        let publisher = broker.connect(payer, "demo").await;
        pairs.push((topic, publisher, subscriber));
    }
    // The other rows count messages with an operator on `bank/#`; it costs the broker a
    // delivery per message, so it listens here too.
    let counter = crate::count::Counter::start(broker.connect("operator", "operator").await).await;
    let started = Instant::now();
    let runs = pairs.into_iter().map(|(topic, publisher, subscriber)| {
        tokio::spawn(async move {
            let payload = vec![b'x'; payload_bytes];
            let sending = async {
                for _ in 0..MESSAGES_PER_PAIR {
                    publisher.publish(&topic, payload.clone()).await;
                }
            };
            let receiving = async {
                for received in 0..MESSAGES_PER_PAIR {
                    let message = subscriber.next(DELIVERY_WAIT_MAX).await;
                    assert!(message.is_some(), "raw: only {received} of {MESSAGES_PER_PAIR} delivered");
                }
            };
            tokio::join!(sending, receiving);
            (publisher, subscriber)
        })
    });
    for run in runs.collect::<Vec<_>>() {
        run.await.unwrap();
    }
    let rate = (PAIRS * MESSAGES_PER_PAIR) as f64 / started.elapsed().as_secs_f64();
    drop(counter);
    rate
}
