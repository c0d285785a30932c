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
    echo: Run,
    e2e: Run,
    latency: load::Latency,
}

/// A peak run, what the broker carried during it, and the CPU it took.
struct Run {
    peak: load::Peak,
    messages: count::Counted,
    /// Per process and thread group, and the seconds of all processes together.
    cpu: (String, f64),
}

impl Run {
    fn cpu_us_per_transfer(&self) -> f64 {
        self.cpu.1 * 1e6 / self.peak.transfers as f64
    }
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
    let (raw_msgs_per_s, echo) = {
        let bare = brokers::Bare::start(broker);
        let raw_msgs_per_s = raw::msgs_per_s(&bare, payload_bytes).await;
        eprintln!("{broker:?}: raw {raw_msgs_per_s:.0} msgs/s");
        let label = if broker == Broker::Embedded { "bench, echo and broker" } else { "bench and echo" };
        let mut processes = vec![(label, std::process::id())];
        processes.extend(bare.pid().map(|pid| ("mosquitto", pid)));
        let counter = count::Counter::start(bare.connect("operator", "operator").await).await;
        let watch = cpu::Watch::start(&processes);
        let peak = echo::transfers(&bare).await;
        let cpu = watch.finish();
        let messages = counter.finish(peak.transfers).await;
        eprintln!("{broker:?}: echo {:.0} transfers/s; {}", peak.per_s, cpu.0);
        (raw_msgs_per_s, Run { peak, messages, cpu })
    };
    let mut args = vec!["--batch-max".to_string(), "256".to_string()];
    if broker == Broker::Embedded {
        args.extend(["--publish-rate-max".to_string(), "0".to_string()]);
    }
    let ledger = Ledger::start_with(broker, args).await;
    let counter = count::Counter::start(ledger.connect_as("operator", "operator").await).await;
    let mut processes = vec![("ledger-service", ledger.pid()), ("bench clients", std::process::id())];
    processes.extend(ledger.mosquitto_pid().map(|pid| ("mosquitto", pid)));
    let watch = cpu::Watch::start(&processes);
    let peak = load::pipelined(|account| ledger.options(account, "demo")).await;
    let cpu = watch.finish();
    let messages = counter.finish(peak.transfers).await;
    eprintln!(
        "{broker:?}: end to end {:.0} transfers/s, {} messages per transfer",
        peak.per_s,
        messages.per_transfer()
    );
    let latency = load::open_loop(&ledger, peak.per_s / 2.0).await;
    Column { raw_msgs_per_s, echo, e2e: Run { peak, messages, cpu }, latency }
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
    row("echo ledger, transfers/s (no store)", &|c| rate(c.echo.peak.per_s));
    row("end to end, transfers/s (ledger-service)", &|c| rate(c.e2e.peak.per_s));
    row("engine alone, transfers/s (SQLite, fsync, batches of 256)", &|_| rate(engine_per_s));
    row("end to end ÷ echo ledger", &|c| format!("{:.2}", c.e2e.peak.per_s / c.echo.peak.per_s));
    row("end to end ÷ raw broker msgs", &|c| format!("{:.2}", c.e2e.peak.per_s / c.raw_msgs_per_s));
    row("messages per transfer, end to end (counted at a `bank/#` subscriber)", &|c| c.e2e.messages.per_transfer());
    row("messages per transfer, echo ledger", &|c| c.echo.messages.per_transfer());
    row("latency at 50 % load, request → payee's balanceUpdate: rate/s", &|c| rate(c.latency.rate_per_s));
    row("… p50 / p99 / max ms", &|c| c.latency.summary());
    row("CPU µs per transfer, all processes: echo / end to end", &|c| {
        format!("{:.0} / {:.0}", c.echo.cpu_us_per_transfer(), c.e2e.cpu_us_per_transfer())
    });
    row("CPU seconds during the echo run", &|c| c.echo.cpu.0.clone());
    row("CPU seconds during the end-to-end run", &|c| c.e2e.cpu.0.clone());
}
