//! What a person feels: latency between two bank-core devices through a real
//! ledger-service (embedded broker, SQLite), and what `transfer()` costs its caller.
//!
//!     cargo bench -p ledger-service --bench devices
//!
//! Prints numbers; asserts nothing about speed.

#[allow(dead_code)] // the bench uses only part of the device helper
#[path = "../tests/support/device.rs"]
mod device;
#[allow(dead_code)] // the bench uses only part of the test harness
#[path = "../tests/contract/harness.rs"]
mod harness;
#[path = "support/latency.rs"]
mod latency;

use std::time::Instant;

use bank_core::app::RowStatus;
use device::{Device, config};
use harness::{Broker, Ledger};
use tempfile::TempDir;

const TRANSFERS: usize = 200;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ledger = Ledger::start(Broker::Embedded).await;
    let (payer_storage, payee_storage) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let mut payer = Device::online(config(ledger.port, "00001", &payer_storage)).await;
    let mut payee = Device::online(config(ledger.port, "00002", &payee_storage)).await;

    let (mut call, mut live, mut confirmed) = (Vec::new(), Vec::new(), Vec::new());
    for sent in 1..=TRANSFERS {
        let started = Instant::now();
        let id = payer.session.transfer("00002", "0.01", "bench").unwrap().expect("valid").to_string();
        call.push(started.elapsed());
        let expected = format!("${}.{:02}", (72_614 + sent) / 100, (72_614 + sent) % 100);
        payee.until("with the transfer", |view| view.balance_text == expected).await;
        live.push(started.elapsed());
        payer
            .until("with the transfer done", |view| {
                view.history.iter().any(|row| row.id == id && row.status == RowStatus::Done)
            })
            .await;
        confirmed.push(started.elapsed());
    }
    println!("bank-core devices through ledger-service, {TRANSFERS} sequential transfers of 0.01, loopback");
    latency::header();
    latency::report("transfer() call (validate, fsync outbox, queue)", &mut call);
    latency::report("send -> payee's view shows the new balance", &mut live);
    latency::report("send -> payer's view shows the row done", &mut confirmed);
}
