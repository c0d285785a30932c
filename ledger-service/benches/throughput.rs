//! The ledger's throughput measured against the broker's own limit, side by side for the
//! embedded broker and Mosquitto, in one run, on loopback:
//!
//!     cargo bench -p ledger-service --bench throughput
//!
//! Rows: the raw broker (QoS 1 publish → subscribe, same-size payloads), an "echo ledger"
//! (a client that answers each request with the messages the ledger sends, no store), the
//! real ledger end to end, the engine alone on SQLite, latency at half the peak, and the
//! messages per transfer the broker carried. Prints one Markdown table; asserts nothing
//! about speed. Every run is bounded in messages and in time.

#[allow(dead_code)] // the bench uses only part of the test harness
#[path = "../tests/contract/harness.rs"]
mod harness;

#[path = "throughput/brokers.rs"]
mod brokers;
#[path = "throughput/count.rs"]
mod count;
#[path = "throughput/cpu.rs"]
mod cpu;
#[path = "throughput/echo.rs"]
mod echo;
#[path = "throughput/engine.rs"]
mod engine;
#[path = "throughput/load.rs"]
mod load;
#[path = "throughput/raw.rs"]
mod raw;

use harness::{Broker, Ledger};

/// One broker's column of the table.
struct Column {
    raw_msgs_per_s: f64,
    echo_per_s: f64,
    e2e_per_s: f64,
    messages: count::Counted,
    latency: load::Latency,
    /// CPU time per process and thread group during the end-to-end run.
    e2e_cpu: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let payload_bytes = raw::payload_bytes();
    println!(
        "ledger-service side by side: {} payers x {} pipelined transfers, raw {} x {} messages of {payload_bytes} B, QoS 1, loopback",
        load::PAYERS.len(),
        load::TRANSFERS_PER_PAYER,
        raw::PAIRS,
        raw::MESSAGES_PER_PAIR,
    );
    let engine_per_s = engine::transfers_per_s();
    eprintln!("engine alone: {engine_per_s:.0} transfers/s");
    if std::env::var_os("THROUGHPUT_ENGINE_ONLY").is_some() {
        return; // for profiling the engine alone, e.g. under valgrind --tool=callgrind
    }
    let embedded = column(Broker::Embedded, payload_bytes).await;
    let mosquitto = column(Broker::Mosquitto, payload_bytes).await;
    print_table(&[embedded, mosquitto], engine_per_s, payload_bytes);
}

async fn column(broker: Broker, payload_bytes: usize) -> Column {
    let (raw_msgs_per_s, echo_per_s) = {
        let bare = brokers::Bare::start(broker);
        let raw_msgs_per_s = raw::msgs_per_s(&bare, payload_bytes).await;
        eprintln!("{broker:?}: raw {raw_msgs_per_s:.0} msgs/s");
        let echo_per_s = echo::transfers_per_s(&bare).await;
        eprintln!("{broker:?}: echo {echo_per_s:.0} transfers/s");
        (raw_msgs_per_s, echo_per_s)
    };
    let mut args = vec!["--batch-max".to_string(), "256".to_string()];
    if broker == Broker::Embedded {
        args.extend(["--publish-rate-max".to_string(), "0".to_string()]);
    }
    let ledger = Ledger::start_with(broker, args).await;
    let counter = count::Counter::start(&ledger).await;
    let mut processes = vec![("ledger-service", ledger.pid()), ("bench clients", std::process::id())];
    processes.extend(ledger.mosquitto_pid().map(|pid| ("mosquitto", pid)));
    let watch = cpu::Watch::start(&processes);
    let e2e = load::pipelined(|account| ledger.options(account, "demo")).await;
    let e2e_cpu = watch.finish();
    let messages = counter.finish(e2e.transfers).await;
    eprintln!("{broker:?}: end to end {:.0} transfers/s, {} messages per transfer", e2e.per_s, messages.per_transfer());
    let latency = load::open_loop(&ledger, e2e.per_s / 2.0).await;
    Column { raw_msgs_per_s, echo_per_s, e2e_per_s: e2e.per_s, messages, latency, e2e_cpu }
}

fn print_table(columns: &[Column; 2], engine_per_s: f64, payload_bytes: usize) {
    let row = |what: &str, cell: &dyn Fn(&Column) -> String| {
        println!("| {what} | {} | {} |", cell(&columns[0]), cell(&columns[1]));
    };
    let rate = |value: f64| format!("{value:.0}");
    println!();
    println!("| | embedded (rmqtt) | Mosquitto |");
    println!("|---|---:|---:|");
    row(&format!("raw broker, QoS 1 publish → subscribe, msgs/s ({payload_bytes} B)"), &|c| rate(c.raw_msgs_per_s));
    row("echo ledger, transfers/s (no store)", &|c| rate(c.echo_per_s));
    row("end to end, transfers/s (ledger-service)", &|c| rate(c.e2e_per_s));
    row("engine alone, transfers/s (SQLite, fsync, batches of 256)", &|_| rate(engine_per_s));
    row("end to end ÷ echo ledger", &|c| format!("{:.2}", c.e2e_per_s / c.echo_per_s));
    row("end to end ÷ raw broker msgs", &|c| format!("{:.2}", c.e2e_per_s / c.raw_msgs_per_s));
    row("messages per transfer, counted at a `bank/#` subscriber", &|c| c.messages.per_transfer());
    row("latency at 50 % load, request → payee's balanceUpdate: rate/s", &|c| rate(c.latency.rate_per_s));
    row("… p50 / p99 / max ms", &|c| c.latency.summary());
    row("CPU seconds during the end-to-end run", &|c| c.e2e_cpu.clone());
}
