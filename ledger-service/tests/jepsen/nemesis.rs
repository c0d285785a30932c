//! The nemesis: SIGKILL at random moments, then a restart on the same port and data.

use std::time::Duration;

use crate::harness::Ledger;

/// Up time before a kill. A quarter of the kills come soon after a restart, while the
/// ledger is still announcing itself and the devices' resends arrive.
const UP_MS_SHORT_MAX: u64 = 200;
const UP_MS_MAX: u64 = 1_500;
/// A long run says how far it is every this many cycles.
const PROGRESS_CYCLES: u32 = 100;
/// Down time before the restart.
const DOWN_MS_MAX: u64 = 400;
/// What the ledger logs once it is subscribed, online and has republished every balance.
const ANNOUNCED: &str = "ledger online; balances republished";
/// The ledger retries the broker after 250 ms doubling to 10 s; Mosquitto is down for at
/// most [`DOWN_MS_MAX`], so 20 s is ample.
const ANNOUNCE_POLLS_MAX: u32 = 400;
const ANNOUNCE_POLL_MS: u64 = 50;
const LOG_TAIL_BYTES: usize = 4_096;

/// What is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The ledger with its embedded broker: broker and ledger die together.
    Embedded,
    /// The ledger alone; Mosquitto keeps its session and the requests queued in it.
    MosquittoLedgerKilled,
    /// Mosquitto alone (persistence on); the ledger keeps running and reconnects.
    MosquittoKilled,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Embedded => "embedded",
            Mode::MosquittoLedgerKilled => "mosquitto-ledger-killed",
            Mode::MosquittoKilled => "mosquitto-killed",
        }
    }
}

/// Runs `cycles` kill-and-restart cycles and returns how many it ran. Every cycle ends
/// with everything up and the ledger online.
pub async fn run(ledger: &mut Ledger, mode: Mode, cycles: u32, rng: &mut fastrand::Rng) -> u32 {
    let started = std::time::Instant::now();
    for cycle in 0..cycles {
        if cycle > 0 && cycle % PROGRESS_CYCLES == 0 {
            println!("jepsen {}: {cycle}/{cycles} cycles after {:.0}s", mode.name(), started.elapsed().as_secs_f64());
        }
        let up_ms = if rng.u32(0..4) == 0 { rng.u64(0..=UP_MS_SHORT_MAX) } else { rng.u64(0..=UP_MS_MAX) };
        tokio::time::sleep(Duration::from_millis(up_ms)).await;
        let announced_before = announcements(ledger);
        kill(ledger, mode, rng);
        tokio::time::sleep(Duration::from_millis(rng.u64(0..=DOWN_MS_MAX))).await;
        restart(ledger, mode, announced_before).await;
    }
    cycles
}

fn kill(ledger: &mut Ledger, mode: Mode, rng: &mut fastrand::Rng) {
    match mode {
        Mode::Embedded | Mode::MosquittoLedgerKilled => ledger.kill(),
        // Mostly SIGKILL; sometimes SIGTERM, so the persistence file is written and the
        // next start restores sessions, queued messages and (stale) retained ones from it.
        Mode::MosquittoKilled => ledger.stop_mosquitto(rng.u32(0..4) != 0),
    }
}

async fn restart(ledger: &mut Ledger, mode: Mode, announced_before: usize) {
    match mode {
        Mode::Embedded | Mode::MosquittoLedgerKilled => ledger.spawn().await,
        Mode::MosquittoKilled => {
            // It waits for the port with a blocking sleep; keep the devices' threads free.
            tokio::task::block_in_place(|| ledger.restart_mosquitto());
            wait_announced(ledger, announced_before).await;
        }
    }
}

/// How often the ledger has said it is online and republished every balance.
fn announcements(ledger: &Ledger) -> usize {
    ledger.log().matches(ANNOUNCED).count()
}

/// Waits until the ledger has announced itself on the restarted broker. A retained
/// `online` status could be a stale one restored from Mosquitto's persistence file, so the
/// ledger's own log is the witness.
async fn wait_announced(ledger: &Ledger, announced_before: usize) {
    for _ in 0..ANNOUNCE_POLLS_MAX {
        if announcements(ledger) > announced_before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(ANNOUNCE_POLL_MS)).await;
    }
    let log = ledger.log();
    let tail = &log[log.floor_char_boundary(log.len().saturating_sub(LOG_TAIL_BYTES))..];
    panic!("the ledger did not reconnect to the restarted Mosquitto; its log ends:\n{tail}");
}
