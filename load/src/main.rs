//! `bank-load`: a fleet of MQTT Banking devices against one ledger-service, to measure
//! what many connected phones cost the ledger and how fast they all get back in after a
//! crash.
//!
//! Every device signs in as a demo account (00001…00005 in turn, password `demo`) with
//! client id `bank-{account}-{device}` and `clean_session=false`, subscribes to
//! `bank/balanceUpdate/{account}`, waits for the retained balance and stays connected
//! with keepalive pings. The devices are split over worker processes (this program
//! re-run with a hidden `worker` subcommand) and bound to source addresses
//! 127.0.0.2…127.0.0.255, so no process nears the open-file cap and no source address
//! runs out of ports. It prints progress on stderr and one Markdown table on stdout:
//! connect rate, the ledger's RSS before and after and per device, the live-update
//! latency of a transfer with everyone connected, and how long every device takes to get
//! back in after the ledger is killed with SIGKILL and started again.
//!
//! Run it against a release build (the numbers of a debug ledger mean little):
//!
//! ```sh
//! cargo build --release -p ledger-service -p bank-load
//! ulimit -n 20000   # or your hard limit; bank-load raises its own, and a ledger it starts inherits it
//!
//! # The tool starts the ledger in a fresh data directory, measures, kills it, restarts it:
//! target/release/bank-load --devices 200 --processes 2 --concurrency 20 \
//!     --spawn-ledger target/release/ledger-service --data-dir /tmp/fleet-ledger --port 18830
//!
//! # Or against a ledger you started (its pid is found by its port); the restart runs
//! # --restart-cmd with `sh -c` after the SIGKILL and leaves it running:
//! target/release/ledger-service --mqtt-listen 127.0.0.1:18830 --data-dir /tmp/fleet-ledger &
//! target/release/bank-load --devices 200 --port 18830 \
//!     --restart-cmd 'exec target/release/ledger-service --mqtt-listen 127.0.0.1:18830 --data-dir /tmp/fleet-ledger'
//!
//! # The goal, once signing in no longer costs an Argon2 hash per CONNECT (see docs/benchmarks.md):
//! target/release/bank-load --devices 19000 --processes 4 --concurrency 200 --tokens \
//!     --spawn-ledger target/release/ledger-service --data-dir /tmp/fleet-ledger --port 18830
//! ```
//!
//! Before the login fix, keep to a few hundred devices: every sign-in costs the ledger an
//! Argon2 hash of 19 MiB that glibc keeps (docs/benchmarks.md, "A fleet of devices").
//! `--tokens` follows the device-token spec (a token asked for after the first sign-in and
//! used for every later one). See docs/protocol.md, "Device tokens".
//!
//! Exit status: 0 when every device got in (and back in after the restart), 1 when some
//! did not or the run failed, 2 for bad flags.

mod conn;
mod device;
mod fleet;
mod identity;
mod ledger;
mod limits;
mod mqtt;
mod probe;
mod procfs;
mod report;
mod wire;
mod worker;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::fleet::Plan;
use crate::ledger::Ledger;
use crate::wire::WorkerConfig;

/// Sockets a worker keeps for itself (stdio, the runtime, spare) beyond one per device.
const FILES_PER_WORKER_SPARE: u64 = 64;

#[derive(Debug, Parser)]
#[command(name = "bank-load", version, about = "A fleet of MQTT Banking devices against one ledger-service.")]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    command: Option<Hidden>,
}

#[derive(Debug, Subcommand)]
enum Hidden {
    /// A worker process; the parent starts these itself.
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        config: String,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Devices to connect.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    devices: u64,
    /// Worker processes to spread them over.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    processes: u64,
    /// First sign-ins in flight at once, over all processes.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    concurrency: u64,
    /// The ledger's host (loopback; devices bind to 127.0.0.x only when it is IPv4 loopback).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The ledger's MQTT port.
    #[arg(long, default_value_t = 1883)]
    port: u16,
    /// Accounts 00001..N the devices take in turn (the demo has 5).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=99_999))]
    accounts: u32,
    /// The accounts' password.
    #[arg(long, env = "BANK_LOAD_PASSWORD", default_value = "demo", hide_env_values = true)]
    password: String,
    /// MQTT keepalive; bank-core uses 20 s.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(5..))]
    keepalive_secs: u16,
    /// Ask for a device token after the first sign-in and sign in with it afterwards
    /// (docs/protocol.md, "Device tokens").
    #[arg(long)]
    tokens: bool,
    /// Source addresses 127.0.0.2.. to spread the devices over (0: let the kernel pick).
    #[arg(long, default_value_t = 254, value_parser = clap::value_parser!(u8).range(0..=254))]
    source_ips: u8,
    /// 4 hex digits at the start of every device id: the same value resumes the same sessions.
    #[arg(long, default_value = "10ad", value_parser = parse_fleet_id)]
    fleet_id: u16,
    /// Transfers 00001 → 00002 timed to a watching device once everyone is in.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    samples: u64,
    /// The ledger's pid, for its memory; found by the port when not given.
    #[arg(long, conflicts_with = "spawn_ledger")]
    ledger_pid: Option<u32>,
    /// Start this ledger-service binary on --port with --data-dir, and stop it at the end.
    #[arg(long, requires = "data_dir")]
    spawn_ledger: Option<PathBuf>,
    /// Data directory of the ledger started by --spawn-ledger.
    #[arg(long, requires = "spawn_ledger")]
    data_dir: Option<PathBuf>,
    /// Shell command that starts the ledger again after bank-load kills it (without --spawn-ledger).
    #[arg(long, conflicts_with = "spawn_ledger")]
    restart_cmd: Option<String>,
    /// Do not kill and restart the ledger.
    #[arg(long)]
    skip_restart: bool,
    /// Wait this long after everyone is in before reading the ledger's memory.
    #[arg(long, default_value_t = 2)]
    settle_secs: u64,
    /// Give up on the first sign-in of the fleet after this long.
    #[arg(long, default_value_t = 900)]
    connect_deadline_secs: u64,
    /// Give up on getting the fleet back in after the restart after this long.
    #[arg(long, default_value_t = 600)]
    reconnect_deadline_secs: u64,
    /// Backoff between attempts doubles from this (bank-core: 500 ms)…
    #[arg(long, default_value_t = 500)]
    retry_min_ms: u64,
    /// …up to this (bank-core: 30 s); each wait is a random half to all of it.
    #[arg(long, default_value_t = 30_000)]
    retry_max_ms: u64,
    /// How long a device waits for each of CONNACK, the retained balance and its token.
    #[arg(long, default_value_t = 60)]
    reply_timeout_secs: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Hidden::Worker { config }) = cli.command {
        return worker::main(&config);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(run(cli.run)),
        Err(error) => Err(format!("cannot start the async runtime: {error}")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("bank-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the whole measurement; `Ok(false)` when some devices did not get in.
async fn run(args: RunArgs) -> Result<bool, String> {
    let (_, nofile_hard) =
        limits::raise_nofile().map_err(|error| format!("cannot raise the open-file limit: {error}"))?;
    let plan = plan(&args, nofile_hard)?;
    let target = plan.worker.target;
    let mut ledger = match (&args.spawn_ledger, &args.data_dir) {
        (Some(path), Some(data_dir)) => Ledger::spawn(path.clone(), data_dir.clone(), target).await?,
        _ => Ledger::external(target, args.ledger_pid, args.restart_cmd.clone()),
    };
    if ledger.pid().is_none() {
        eprintln!("bank-load: no process found listening on port {}; pass --ledger-pid for memory figures", args.port);
    }
    let outcome = fleet::run(&plan, &mut ledger).await;
    ledger.stop();
    let report = outcome?;
    println!("{}", report.table());
    Ok(report.all_in())
}

fn plan(args: &RunArgs, nofile_hard: u64) -> Result<Plan, String> {
    let per_process = args.devices.div_ceil(args.processes);
    if per_process + FILES_PER_WORKER_SPARE > nofile_hard {
        let needed = args.devices.div_ceil(nofile_hard.saturating_sub(FILES_PER_WORKER_SPARE).max(1));
        return Err(format!(
            "{per_process} devices per process is over the open-file cap of {nofile_hard}; use --processes {needed} or more"
        ));
    }
    let loopback_v4 = matches!(args.host, IpAddr::V4(ip) if ip.is_loopback());
    let worker = WorkerConfig {
        target: SocketAddr::new(args.host, args.port),
        fleet_id: args.fleet_id,
        first_index: 0,
        devices: args.devices,
        accounts: args.accounts,
        password: args.password.clone(),
        keepalive_secs: args.keepalive_secs,
        concurrency: args.concurrency as usize,
        source_ips: if loopback_v4 { args.source_ips } else { 0 },
        tokens: args.tokens,
        retry_min_ms: args.retry_min_ms.max(1),
        retry_max_ms: args.retry_max_ms.max(args.retry_min_ms),
        retry_deadline_secs: args.reconnect_deadline_secs,
        reply_timeout_secs: args.reply_timeout_secs.max(1),
    };
    Ok(Plan {
        worker,
        processes: args.processes as usize,
        samples: args.samples as usize,
        restart: !args.skip_restart,
        settle: Duration::from_secs(args.settle_secs),
        connect_deadline: Duration::from_secs(args.connect_deadline_secs),
        reconnect_deadline: Duration::from_secs(args.reconnect_deadline_secs),
    })
}

fn parse_fleet_id(text: &str) -> Result<u16, String> {
    let valid = text.len() == 4 && text.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    match valid {
        true => u16::from_str_radix(text, 16).map_err(|error| error.to_string()),
        false => Err("4 lowercase hex digits, such as 10ad".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_the_open_file_cap_is_checked() {
        let cli = Cli::try_parse_from(["bank-load", "--devices", "19000", "--processes", "4", "--tokens"]).unwrap();
        let plan = plan(&cli.run, 20_000).unwrap();
        assert_eq!((plan.worker.devices, plan.processes, plan.worker.tokens), (19_000, 4, true));
        assert_eq!(plan.worker.source_ips, 254);
        let error = super::plan(&cli.run, 4096).err().unwrap();
        assert!(error.contains("--processes 5"), "{error}");
        assert!(Cli::try_parse_from(["bank-load", "--spawn-ledger", "x"]).is_err(), "needs --data-dir");
        assert!(Cli::try_parse_from(["bank-load", "--fleet-id", "XYZ1"]).is_err());
        assert_eq!(parse_fleet_id("beef"), Ok(0xbeef));
    }
}
