//! The "echo ledger": logs in as the ledger and answers every request with the messages
//! the real ledger would send for it, the same sizes, in the same order, in batches of what
//! arrived together, but with no store, no checks and no fsync. What the real ledger does
//! more slowly than this is the ledger's own cost; the rest is the broker's.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bank_protocol::{
    AccountId, Amount, AppliedTransfer, BalanceUpdate, Direction, Entry, HistoryEntry, Timestamp, Topic, TransferFeed,
    TransferResult,
};
use rumqttc::{AsyncClient, Event, Packet, Publish, QoS};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::brokers::Bare;
use crate::load;

const BATCH_MAX: usize = 256;
const REQUESTS_QUEUED_MAX: usize = 4096;
/// The ledger's pace for the operator's feed.
const FEED_INTERVAL: Duration = Duration::from_millis(250);

pub async fn transfers(broker: &Bare) -> load::Peak {
    let mut options = broker.options("ledger", &broker.ledger_password);
    // Acknowledged by hand, as the ledger does: the broker's in-flight window paces it.
    options.set_manual_acks(true).set_clean_session(true);
    let (client, mut eventloop) = bank_mqtt::client::client(options, 1024);
    let (requests_tx, requests) = mpsc::channel::<Publish>(REQUESTS_QUEUED_MAX);
    let (subscribed_tx, subscribed) = oneshot::channel();
    let pump = tokio::spawn(async move {
        let mut subscribed_tx = Some(subscribed_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    requests_tx.try_send(publish).expect("the echo keeps up");
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => drop(subscribed_tx.take().map(|tx| tx.send(()))),
                Ok(_) => {}
                Err(error) => panic!("echo ledger lost its connection: {error}"),
            }
        }
    });
    client.subscribe("bank/transfer/request/+", QoS::AtLeastOnce).await.unwrap();
    subscribed.await.unwrap();
    let worker = tokio::spawn(answer(client, requests));
    let peak = load::pipelined(|account| broker.options(account, "demo")).await;
    pump.abort();
    worker.abort();
    peak
}

async fn answer(client: AsyncClient, mut requests: mpsc::Receiver<Publish>) {
    let mut versions: HashMap<AccountId, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let feed = feed_json();
    let mut feed_published = Instant::now() - FEED_INTERVAL;
    while requests.recv_many(&mut batch, BATCH_MAX).await > 0 {
        let at = Timestamp::now();
        let mut changes: BTreeMap<AccountId, Vec<HistoryEntry>> = BTreeMap::new();
        let mut results = Vec::new();
        for publish in &batch {
            let Some(Topic::TransferRequest(payer)) = Topic::parse(&publish.topic) else { continue };
            let request: serde_json::Value = serde_json::from_slice(&publish.payload).unwrap();
            let id: Uuid = request["id"].as_str().unwrap().parse().unwrap();
            let payee = AccountId::parse(request["to"].as_str().unwrap()).unwrap();
            let amount = Amount::from_cents(1);
            for (account, direction, counterparty) in [(payer, Direction::Out, payee), (payee, Direction::In, payer)] {
                let version = versions.entry(account).or_insert(0);
                *version += 1;
                let entry = Entry { id, direction, counterparty, amount, memo: None, at };
                let row = HistoryEntry { version: *version, balance: Amount::from_cents(99_999), entry };
                changes.entry(account).or_default().push(row);
            }
            let result =
                TransferResult::Accepted { id, balance: Amount::from_cents(99_999), version: versions[&payer] };
            results.push((payer, result));
        }
        // As the ledger: acknowledge the batch (the ledger does once it is committed), then
        // one update per changed account, the paced feed, and the results.
        for publish in batch.drain(..) {
            client.ack(&publish).await.unwrap();
        }
        for (account, entries) in changes {
            for chunk in entries.chunks(BalanceUpdate::ENTRIES_MAX) {
                let payload = serde_json::to_vec(&BalanceUpdate::coalesced(account, chunk.to_vec())).unwrap();
                let topic = Topic::BalanceUpdate(account).to_string();
                client.publish(topic, QoS::AtLeastOnce, true, payload).await.unwrap();
            }
        }
        if !results.is_empty() && feed_published.elapsed() >= FEED_INTERVAL {
            client.publish("bank/ledger/transfers", QoS::AtLeastOnce, true, feed.clone()).await.unwrap();
            feed_published = Instant::now();
        }
        for (payer, result) in &results {
            let payload = serde_json::to_vec(result).unwrap();
            client.publish(Topic::TransferResult(*payer).to_string(), QoS::AtLeastOnce, false, payload).await.unwrap();
        }
    }
}

/// A full operator feed, as the ledger publishes after a batch.
fn feed_json() -> Vec<u8> {
    let transfer = AppliedTransfer {
        id: Uuid::now_v7(),
        from: AccountId::parse("00001").unwrap(),
        to: AccountId::parse("00005").unwrap(),
        amount: Amount::from_cents(1),
        memo: None,
        at: Timestamp::now(),
    };
    serde_json::to_vec(&TransferFeed { transfers: vec![transfer; TransferFeed::LEN_MAX] }).unwrap()
}
