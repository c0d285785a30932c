//! The workloads: pipelined transfers for the peak rate, and an open-loop run at a
//! constant rate for the latency a payee sees.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rumqttc::MqttOptions;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::harness::{Client, Ledger};

pub const PAYERS: [&str; 4] = ["00001", "00002", "00003", "00004"];
const PAYEE: &str = "00005";
pub const TRANSFERS_PER_PAYER: usize = 7_500;
/// Requests a payer has in flight at most: 4 × 256 stays far below the ledger's queue of 4,096.
pub const WINDOW: usize = 256;
const RESULT_WAIT_MAX: Duration = Duration::from_secs(60);
const OPEN_LOOP_RUN: Duration = Duration::from_secs(3);
const OPEN_LOOP_TRANSFERS_MAX: usize = 30_000;
const TICK: Duration = Duration::from_millis(1);

pub fn request(id: Uuid, to: &str) -> Vec<u8> {
    json!({"id": id, "to": to, "amount": "0.01"}).to_string().into_bytes()
}

pub struct Peak {
    pub per_s: f64,
    pub transfers: usize,
}

/// Every payer keeps [`WINDOW`] requests in flight while it collects the results.
pub async fn pipelined(options: impl Fn(&str) -> MqttOptions) -> Peak {
    let mut payers = Vec::new();
    for payer in PAYERS {
        let client = Client::connect(options(payer)).await.unwrap();
        client.subscribe(&format!("bank/transfer/result/{payer}")).await;
        payers.push((payer, client));
    }
    let started = Instant::now();
    let runs = payers.into_iter().map(|(payer, client)| {
        tokio::spawn(async move {
            let topic = format!("bank/transfer/request/{payer}");
            let window = tokio::sync::Semaphore::new(WINDOW);
            let sending = async {
                for _ in 0..TRANSFERS_PER_PAYER {
                    window.acquire().await.unwrap().forget();
                    client.publish(&topic, request(Uuid::now_v7(), PAYEE)).await;
                }
            };
            let receiving = async {
                for received in 0..TRANSFERS_PER_PAYER {
                    let publish = client.next(RESULT_WAIT_MAX).await;
                    let publish = publish.unwrap_or_else(|| panic!("{payer}: only {received} results arrived"));
                    let result: Value = serde_json::from_slice(&publish.payload).unwrap();
                    assert_eq!(result["status"], "accepted", "{result}");
                    window.add_permits(1);
                }
            };
            tokio::join!(sending, receiving);
            client
        })
    });
    for run in runs.collect::<Vec<_>>() {
        run.await.unwrap();
    }
    let transfers = PAYERS.len() * TRANSFERS_PER_PAYER;
    Peak { per_s: transfers as f64 / started.elapsed().as_secs_f64(), transfers }
}

pub struct Latency {
    pub rate_per_s: f64,
    samples: Vec<Duration>,
}

impl Latency {
    pub fn summary(&self) -> String {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let ms = |quantile: f64| {
            let index = ((sorted.len() as f64 - 1.0) * quantile).round() as usize;
            sorted[index].as_secs_f64() * 1000.0
        };
        format!("{:.2} / {:.2} / {:.2} ({} samples)", ms(0.5), ms(0.99), ms(1.0), sorted.len())
    }
}

/// Publishes at `rate_per_s`, on schedule whatever the answers do (open loop), and times
/// each request from its publish to the payee's balance update that carries it.
pub async fn open_loop(ledger: &Ledger, rate_per_s: f64) -> Latency {
    let payee = ledger.connect(PAYEE).await;
    let topic = format!("bank/balanceUpdate/{PAYEE}");
    payee.subscribe(&topic).await;
    payee.next(Duration::from_secs(10)).await.expect("the retained balance");
    let mut payers = Vec::new();
    for payer in PAYERS {
        payers.push((format!("bank/transfer/request/{payer}"), ledger.connect(payer).await));
    }
    let total = ((rate_per_s * OPEN_LOOP_RUN.as_secs_f64()) as usize).clamp(1, OPEN_LOOP_TRANSFERS_MAX);
    let (sent_tx, mut sent) = mpsc::unbounded_channel::<(String, Instant)>();
    let sender = async move {
        let started = Instant::now();
        let mut published = 0;
        while published < total {
            let due = ((started.elapsed().as_secs_f64() * rate_per_s) as usize + 1).min(total);
            while published < due {
                let (topic, client) = &payers[published % payers.len()];
                let id = Uuid::now_v7();
                sent_tx.send((id.to_string(), Instant::now())).unwrap();
                client.publish(topic, request(id, PAYEE)).await;
                published += 1;
            }
            tokio::time::sleep(TICK).await;
        }
        payers
    };
    let watcher = async {
        let mut pending: HashMap<String, Instant> = HashMap::new();
        let mut samples = Vec::with_capacity(total);
        while samples.len() < total {
            let publish = payee.next(RESULT_WAIT_MAX).await;
            let publish = publish.unwrap_or_else(|| panic!("only {} of {total} updates arrived", samples.len()));
            while let Ok((id, at)) = sent.try_recv() {
                pending.insert(id, at);
            }
            let update: Value = serde_json::from_slice(&publish.payload).unwrap();
            for id in entry_ids(&update) {
                if let Some(at) = pending.remove(&id) {
                    samples.push(at.elapsed());
                }
            }
        }
        samples
    };
    let (_, samples) = tokio::join!(sender, watcher);
    Latency { rate_per_s, samples }
}

/// The transfer ids a balance update carries: one `entry`, or `entries` since format 2.
fn entry_ids(update: &Value) -> Vec<String> {
    let one = update.get("entry").into_iter();
    let many = update.get("entries").and_then(Value::as_array).into_iter().flatten();
    one.chain(many).filter_map(|entry| entry["id"].as_str().map(str::to_string)).collect()
}
