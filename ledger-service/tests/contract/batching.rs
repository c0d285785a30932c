//! What group commit may and may not change for devices: a batch's changes to one account
//! arrive together, but every version arrives, once, in order; the operator's feed is paced.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Broker, Ledger, QUIET};

const BURST: u64 = 120;

pub async fn a_burst_reaches_the_payee_as_every_version_once_with_the_feed_paced(broker: Broker) {
    let ledger = Ledger::start(broker).await;
    let payee = ledger.connect("00002").await;
    payee.subscribe("bank/balanceUpdate/00002").await;
    let operator = ledger.connect_as("operator", "operator").await;
    operator.subscribe("bank/ledger/transfers").await;
    while payee.next(QUIET).await.is_some() {}
    while operator.next(Duration::ZERO).await.is_some() {}

    let payer = ledger.connect("00001").await;
    payer.subscribe("bank/transfer/result/00001").await;
    let started = Instant::now();
    let mut last_id = String::new();
    for _ in 0..BURST {
        last_id = Uuid::now_v7().to_string();
        let request = json!({"id": last_id, "to": "00002", "amount": "0.01"});
        payer.publish("bank/transfer/request/00001", request.to_string()).await;
    }

    let mut versions = Vec::new();
    let mut updates = 0;
    while versions.last() != Some(&BURST) {
        let update = payee.next(crate::harness::WAIT).await.expect("the payee's updates");
        let update: Value = serde_json::from_slice(&update.payload).unwrap();
        assert_eq!(update["format"], 2, "{update}");
        let entries = update["entries"].as_array().expect("a change carries its entries");
        let last = entries.last().unwrap();
        assert_eq!((&last["version"], &last["balance"]), (&update["version"], &update["balance"]), "{update}");
        versions.extend(entries.iter().map(|entry| entry["version"].as_u64().unwrap()));
        updates += 1;
    }
    assert_eq!(versions, (1..=BURST).collect::<Vec<_>>(), "every version once, in order");
    assert!(updates <= BURST);
    assert_eq!(ledger.balance("00002").await.balance.to_string(), "727.34");

    let newest = |feed: &Value| feed["transfers"][0]["id"] == json!(last_id);
    let mut feeds = 0;
    loop {
        let feed = operator.next(crate::harness::WAIT).await.expect("the feed reaches the newest transfer");
        feeds += 1;
        if newest(&serde_json::from_slice(&feed.payload).unwrap()) {
            break;
        }
    }
    // At most four a second, plus the first at once and the last one pending.
    let feeds_max = (started.elapsed().as_millis() / 250) as usize + 2;
    assert!(feeds <= feeds_max, "{feeds} feeds in {:?}", started.elapsed());
}
