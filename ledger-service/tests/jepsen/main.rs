//! A Jepsen-style bank test. Five devices (one real MQTT client per demo account) send
//! random transfers, replays and conflicting copies while a nemesis SIGKILLs the ledger,
//! or its broker, at random moments. When the faults stop, every account's balance and
//! history are read back through the protocol and checked against what the devices saw:
//! money is conserved and never negative, histories replay to their balances, every
//! accepted transfer is applied exactly once with its content, nothing else is, results
//! never change, and every request is answered within [`LIVENESS`].
//!
//! `JEPSEN_CYCLES` (default 20) sets the kill-and-restart cycles per mode and
//! `JEPSEN_SEED` the seed (random by default; always printed). A long run:
//! `JEPSEN_CYCLES=1000 cargo test --release -p ledger-service --test jepsen -- --nocapture --exact embedded`.

mod checker;
mod device;
#[allow(dead_code)] // the jepsen test uses only part of the contract harness
#[path = "../contract/harness.rs"]
mod harness;
mod nemesis;
mod readback;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bank_protocol::{AccountId, Amount, TransferResult};
use tokio::sync::watch;

use checker::{Observed, Violation};
use device::{Log, Phase};
use harness::{Broker, Ledger};
use nemesis::Mode;

/// The demo ledger's opening balances, in cents: the checker's independent record of them.
pub const OPENING_CENTS: [(&str, i64); 5] =
    [("00001", 100_000), ("00002", 72_614), ("00003", 250_000), ("00004", 35_000), ("00005", 0)];
/// Once the faults stop, every request and probe must be answered within this.
const LIVENESS: Duration = Duration::from_secs(60);
/// Slack for the devices to hand their logs over after [`LIVENESS`].
const DEVICE_STOP_SLACK: Duration = Duration::from_secs(10);
const CYCLES_DEFAULT: u32 = 20;
/// Violations printed in full; the count is always exact.
const VIOLATIONS_SHOWN_MAX: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded() {
    jepsen(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_ledger_killed() {
    jepsen(Mode::MosquittoLedgerKilled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_killed() {
    jepsen(Mode::MosquittoKilled).await;
}

struct Params {
    cycles: u32,
    seed: u64,
}

impl Params {
    fn from_env() -> Params {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
        let number = |name: &str| {
            read(name).map(|value| {
                value.trim().parse::<u64>().unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number"))
            })
        };
        let cycles = number("JEPSEN_CYCLES")
            .map_or(CYCLES_DEFAULT, |cycles| u32::try_from(cycles).expect("JEPSEN_CYCLES fits in u32"));
        Params { cycles, seed: number("JEPSEN_SEED").unwrap_or_else(|| fastrand::u64(..)) }
    }
}

fn accounts() -> Vec<AccountId> {
    OPENING_CENTS.iter().map(|(number, _)| AccountId::parse(number).expect("demo accounts are valid")).collect()
}

fn openings() -> BTreeMap<AccountId, Amount> {
    OPENING_CENTS
        .iter()
        .map(|(number, cents)| (AccountId::parse(number).unwrap(), Amount::from_cents(*cents)))
        .collect()
}

async fn jepsen(mode: Mode) {
    let params = Params::from_env();
    println!("jepsen {}: seed={} cycles={} (JEPSEN_SEED, JEPSEN_CYCLES)", mode.name(), params.seed, params.cycles);
    let started = Instant::now();
    let broker = if mode == Mode::Embedded { Broker::Embedded } else { Broker::Mosquitto };
    let mut ledger = Ledger::start(broker).await;
    let mut rng = fastrand::Rng::with_seed(params.seed);
    let (phase, phase_rx) = watch::channel(Phase::Run);
    let devices: Vec<_> = accounts()
        .into_iter()
        .map(|account| {
            let spec = device::Spec { account, accounts: accounts(), port: ledger.port, seed: rng.u64(..) };
            tokio::spawn(device::run(spec, phase_rx.clone()))
        })
        .collect();
    let kill_cycles = nemesis::run(&mut ledger, mode, params.cycles, &mut rng).await;
    let faults_stopped = Instant::now();
    phase.send_replace(Phase::Drain { until: tokio::time::Instant::now() + LIVENESS });
    let logs = collect(devices).await;
    let drained = faults_stopped.elapsed();
    let (observed, stats) = merge(logs);
    let violations = match readback::read(&ledger, &accounts()).await {
        Ok(last) => checker::check(&openings(), &observed, &last),
        Err(error) => vec![Violation { kind: checker::Kind::ReadBack, detail: format!("read-back failed: {error}") }],
    };
    let report =
        Report { mode, params: &params, observed: &observed, stats: &stats, kill_cycles, violations: &violations };
    report.print(started.elapsed(), drained);
    if !violations.is_empty() {
        let kept = keep_evidence(&ledger, mode, params.seed);
        panic!("jepsen {}: {} violations (seed {}); evidence in {kept}", mode.name(), violations.len(), params.seed);
    }
}

/// Every device's log; a device that does not stop in time fails the run.
async fn collect(devices: Vec<tokio::task::JoinHandle<Log>>) -> Vec<Log> {
    let mut logs = Vec::with_capacity(devices.len());
    for device in devices {
        let log = tokio::time::timeout(LIVENESS + DEVICE_STOP_SLACK, device).await;
        logs.push(log.expect("a device stops by its drain deadline").expect("a device does not panic"));
    }
    logs
}

fn merge(logs: Vec<Log>) -> (Observed, device::Stats) {
    let mut observed = Observed::default();
    let mut stats = device::Stats::default();
    for log in logs {
        observed.sent.extend(log.sent);
        for result in log.results {
            let id = result.id().expect("devices keep only results with an id");
            observed.results.entry(id).or_default().push(result);
        }
        observed.conflicted.extend(log.conflicted);
        observed.unanswered.extend(log.unanswered);
        observed.garbled.extend(log.garbled);
        stats.add(&log.stats);
    }
    (observed, stats)
}

impl device::Stats {
    fn add(&mut self, other: &device::Stats) {
        self.requests += other.requests;
        self.replays += other.replays;
        self.conflicts += other.conflicts;
        self.resends += other.resends;
        self.republished += other.republished;
        self.connects += other.connects;
        self.publish_refused += other.publish_refused;
        self.wait_ms_max = self.wait_ms_max.max(other.wait_ms_max);
    }
}

struct Report<'a> {
    mode: Mode,
    params: &'a Params,
    observed: &'a Observed,
    stats: &'a device::Stats,
    kill_cycles: u32,
    violations: &'a [Violation],
}

impl Report<'_> {
    fn print(&self, took: Duration, drained: Duration) {
        let first_results = self.observed.results.values().filter_map(|results| results.first());
        let accepted = first_results.clone().filter(|result| matches!(result, TransferResult::Accepted { .. })).count();
        let rejected = first_results.count() - accepted;
        let stats = self.stats;
        println!(
            "jepsen {}: requests={} accepted={accepted} rejected={rejected} probes={} kill_cycles={} violations={} seed={}",
            self.mode.name(),
            stats.requests,
            stats.replays + stats.conflicts,
            self.kill_cycles,
            self.violations.len(),
            self.params.seed,
        );
        println!(
            "jepsen {}: took={:.1}s drain={:.1}s replays={} conflicts={} resends={} republished={} connects={} publish_refused={} longest_wait_ms={}",
            self.mode.name(),
            took.as_secs_f64(),
            drained.as_secs_f64(),
            stats.replays,
            stats.conflicts,
            stats.resends,
            stats.republished,
            stats.connects,
            stats.publish_refused,
            stats.wait_ms_max,
        );
        for violation in self.violations.iter().take(VIOLATIONS_SHOWN_MAX) {
            println!("  violation {violation}");
        }
        if self.violations.len() > VIOLATIONS_SHOWN_MAX {
            println!("  … and {} more", self.violations.len() - VIOLATIONS_SHOWN_MAX);
        }
    }
}

/// Copies the ledger's database and logs to `target/jepsen/{mode}-{seed}/`, since the
/// temporary data directory goes with the ledger.
fn keep_evidence(ledger: &Ledger, mode: Mode, seed: u64) -> String {
    let kept = harness::repo_root().join("target/jepsen").join(format!("{}-{seed}", mode.name()));
    let _ = std::fs::create_dir_all(&kept);
    let files = std::fs::read_dir(ledger.data_dir.path()).into_iter().flatten().flatten();
    for file in files.filter(|file| file.path().is_file()) {
        let _ = std::fs::copy(file.path(), kept.join(file.file_name()));
    }
    kept.display().to_string()
}
