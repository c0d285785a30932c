//! Throughput and latency of the real service: a ledger-service process with its
//! embedded broker and SQLite file, driven over MQTT by real clients on loopback.
//!
//!     cargo bench -p ledger-service --bench throughput
//!
//! Prints numbers; asserts nothing about speed.

#[allow(dead_code)] // the bench uses only part of the test harness
#[path = "../tests/contract/harness.rs"]
mod harness;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use harness::{Broker, Ledger};
use serde_json::json;
use uuid::Uuid;

const PAYERS: [&str; 4] = ["00001", "00002", "00003", "00004"];
const TRANSFERS_PER_PAYER: usize = 500;
const LIVE_UPDATE_SAMPLES: usize = 50;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "ledger-service benchmark: {} payers x {TRANSFERS_PER_PAYER} pipelined transfers, QoS 1, loopback",
        PAYERS.len()
    );
    println!("{:<28} {:>12} {:>10} {:>10} {:>10}", "batch_max", "transfers/s", "p50 ms", "p99 ms", "max ms");
    for batch_max in [1, 256] {
        let ledger = Ledger::start_with(Broker::Embedded, vec!["--batch-max".into(), batch_max.to_string()]).await;
        let (rate, latencies) = pipelined_transfers(&ledger).await;
        let label = if batch_max == 1 {
            "1 (one fsync per transfer)".to_string()
        } else {
            format!("{batch_max} (group commit)")
        };
        println!(
            "{label:<28} {rate:>12.0} {:>10.2} {:>10.2} {:>10.2}",
            ms(&latencies, 0.50),
            ms(&latencies, 0.99),
            ms(&latencies, 1.0)
        );
    }
    let ledger = Ledger::start(Broker::Embedded).await;
    let live = live_update_latency(&ledger).await;
    println!(
        "send -> payee's balanceUpdate, one at a time ({LIVE_UPDATE_SAMPLES} samples): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(&live, 0.50),
        ms(&live, 0.99),
        ms(&live, 1.0)
    );
}

/// Every payer publishes all its requests without waiting, then collects the results.
async fn pipelined_transfers(ledger: &Ledger) -> (f64, Vec<Duration>) {
    let mut payers = Vec::new();
    for payer in PAYERS {
        let client = ledger.connect(payer).await;
        client.subscribe(&format!("bank/transfer/result/{payer}")).await;
        payers.push((payer, client));
    }
    let started = Instant::now();
    let runs = payers.into_iter().map(|(payer, client)| {
        tokio::spawn(async move {
            let mut sent = HashMap::new();
            for _ in 0..TRANSFERS_PER_PAYER {
                let id = Uuid::now_v7();
                sent.insert(id.to_string(), Instant::now());
                let request = json!({"id": id, "to": "00005", "amount": "0.01"}).to_string();
                client.publish(&format!("bank/transfer/request/{payer}"), request).await;
            }
            let mut latencies = Vec::new();
            while latencies.len() < TRANSFERS_PER_PAYER {
                let publish = client.next(Duration::from_secs(60)).await.expect("every result arrives");
                let result: serde_json::Value = serde_json::from_slice(&publish.payload).unwrap();
                assert_eq!(result["status"], "accepted", "{result}");
                latencies.push(sent[result["id"].as_str().unwrap()].elapsed());
            }
            latencies
        })
    });
    let mut latencies = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        latencies.extend(run.await.unwrap());
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    (rate, latencies)
}

/// What a person watching the payee's phone sees: publish to arrival of the retained update.
async fn live_update_latency(ledger: &Ledger) -> Vec<Duration> {
    let payer = ledger.connect("00001").await;
    let payee = ledger.connect("00002").await;
    payee.subscribe("bank/balanceUpdate/00002").await;
    payee.next(Duration::from_secs(10)).await.expect("retained snapshot");
    let mut latencies = Vec::new();
    for version in 1..=LIVE_UPDATE_SAMPLES {
        let started = Instant::now();
        payer
            .publish(
                "bank/transfer/request/00001",
                json!({"id": Uuid::now_v7(), "to": "00002", "amount": "1"}).to_string(),
            )
            .await;
        payee.wait_for("bank/balanceUpdate/00002", |update| update["version"] == version).await.expect("update");
        latencies.push(started.elapsed());
    }
    latencies
}

fn ms(latencies: &[Duration], quantile: f64) -> f64 {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * quantile).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}
