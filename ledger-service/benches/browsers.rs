//! Phones in the browser at the gateway's bound: what each hosted browser costs the
//! ledger-service process, how long signing in takes, and how long a transfer takes to
//! reach another browser, through a real ledger-service (embedded broker, SQLite).
//!
//!     cargo bench -p ledger-service --bench browsers            # 1,000 browsers, the bound
//!     WEB_BENCH_BROWSERS=200 cargo bench -p ledger-service --bench browsers
//!
//! Prints numbers; asserts nothing about speed.

#[allow(dead_code)] // the bench uses only part of the test harness
#[path = "../tests/contract/harness.rs"]
mod harness;
#[path = "support/latency.rs"]
mod latency;
#[allow(dead_code, unused_imports)] // and of the web tests' browser
#[path = "../tests/contract/web.rs"]
mod web;

use std::time::{Duration, Instant};

use harness::Broker;
use serde_json::json;
use web::Web;

const TRANSFERS: usize = 100;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let browsers: usize = std::env::var("WEB_BENCH_BROWSERS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let web = Web::start(Broker::Embedded, &[]).await;
    let pid = web.ledger.pid();
    let before = memory(pid);

    let mut tabs = Vec::with_capacity(browsers);
    let mut sign_ins = Vec::with_capacity(browsers);
    let started = Instant::now();
    for index in 0..browsers {
        let (mut tab, _) = web.browser().await.open().await;
        let account = format!("{:05}", 1 + index % 5);
        let signing_in = Instant::now();
        tab.sign_in(&account, "demo").await.expect("signed in");
        sign_ins.push(signing_in.elapsed());
        tabs.push(tab);
    }
    let all_signed_in = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = memory(pid);

    // Browser 0 is 00001 and browser 1 is 00002.
    let (payer, rest) = tabs.split_first_mut().unwrap();
    let payee = &mut rest[0];
    let mut live = Vec::with_capacity(TRANSFERS);
    for sent in 1..=TRANSFERS {
        let expected = format!("${}.{:02}", (72_614 + sent) / 100, (72_614 + sent) % 100);
        let sending = Instant::now();
        assert_eq!(payer.transfer("00002", "0.01", "").await, Ok(json!(true)));
        payee.balance(&expected).await;
        live.push(sending.elapsed());
    }

    println!("{browsers} browsers signed in through the web gateway of one ledger-service, loopback");
    println!("{:<52} {:>12}", "ledger-service RSS before", format!("{:.1} MiB", before.0));
    println!("{:<52} {:>12}", "ledger-service RSS with every browser signed in", format!("{:.1} MiB", after.0));
    println!(
        "{:<52} {:>12}",
        "per hosted browser",
        format!("{:.1} KiB", (after.0 - before.0) * 1024.0 / browsers as f64)
    );
    println!("{:<52} {:>12}", "threads before / after", format!("{} / {}", before.1, after.1));
    println!("{:<52} {:>12}", "all signed in, one after another", format!("{:.1} s", all_signed_in.as_secs_f64()));
    latency::header();
    latency::report("sign_in (socket open -> answer, broker login)", &mut sign_ins);
    latency::report(&format!("transfer on one browser -> balance on another ({TRANSFERS})"), &mut live);
}

/// RSS in MiB and the thread count, from /proc.
fn memory(pid: u32) -> (f64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        let line = status.lines().find(|line| line.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    (field("VmRSS:") as f64 / 1024.0, field("Threads:"))
}
