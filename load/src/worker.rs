//! A worker process: runs its share of the fleet on one thread and reports to the parent.
//!
//! Devices are split over processes so none of them nears the open-file cap, and so the
//! fleet's own work spreads over the cores. Each worker waits for `go`, starts its
//! devices, and tells the parent when all of them are in (the `done` line); after a
//! `mark` it does the same for the sign-ins that follow the ledger's restart.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::device::{self, Device, Event, EventKind, Shared};
use crate::identity::{self, Identity};
use crate::limits;
use crate::wire::{self, Counters, Phase, ToParent, ToWorker, WorkerConfig};

/// Device events waiting for the tally; devices wait when it is full.
const EVENTS_QUEUED_MAX: usize = 4096;
const STATUS_EVERY: Duration = Duration::from_millis(500);
/// Commands read ahead of the tally; the parent sends a handful per run.
const COMMANDS_QUEUED_MAX: usize = 16;

pub fn main(config_json: &str) -> ExitCode {
    let config: WorkerConfig = match serde_json::from_str(config_json) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("bank-load worker: bad configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let nofile_soft = limits::raise_nofile().map(|(soft, _)| soft).unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(config, nofile_soft)),
        Err(error) => Err(format!("cannot start the async runtime: {error}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bank-load worker: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: WorkerConfig, nofile_soft: u64) -> Result<(), String> {
    let mut commands = read_commands();
    say(&ToParent::Hello { devices: config.devices, nofile_soft })?;
    if !matches!(commands.recv().await, Some(ToWorker::Go)) {
        return Ok(());
    }
    let (events_tx, mut events) = mpsc::channel(EVENTS_QUEUED_MAX);
    let (mark_tx, mark) = watch::channel(0u32);
    let gate = Semaphore::new(config.concurrency.max(1));
    let devices = config.devices as usize;
    let shared = Arc::new(Shared { config, events: events_tx, mark, gate });
    // Dropping the set at the end aborts every device, which closes its socket.
    let _devices = start_devices(&shared);
    let mut tally = Tally::new(devices);
    let mut status = tokio::time::interval(STATUS_EVERY);
    // Ends on `quit`, or when the parent goes away and stdin closes.
    loop {
        tokio::select! {
            Some(event) = events.recv() => {
                if let Some(done) = tally.apply(event) {
                    say(&done)?;
                }
            }
            command = commands.recv() => match command {
                Some(ToWorker::Mark { generation }) => {
                    let _ = mark_tx.send(generation);
                    let done = tally.begin(generation);
                    say(&ToParent::Marked { generation })?;
                    if let Some(done) = done {
                        say(&done)?;
                    }
                }
                Some(ToWorker::Go) => {}
                Some(ToWorker::Quit) | None => return Ok(()),
            },
            _ = status.tick() => {
                if tally.take_changed() {
                    say(&ToParent::Status { counters: tally.counters.clone() })?;
                }
            }
        }
    }
}

fn start_devices(shared: &Arc<Shared>) -> JoinSet<()> {
    let config = &shared.config;
    let mut set = JoinSet::new();
    for slot in 0..config.devices as usize {
        let index = config.first_index + slot as u64;
        let device = Device {
            slot,
            identity: Identity::of(config.fleet_id, index, config.accounts),
            source: identity::source_ip(index, config.source_ips),
        };
        set.spawn(device::run(device, shared.clone()));
    }
    set
}

/// The parent's commands, read on a thread of their own (stdin is blocking); the channel
/// closes when the parent closes our stdin or goes away.
fn read_commands() -> mpsc::Receiver<ToWorker> {
    let (commands_tx, commands) = mpsc::channel(COMMANDS_QUEUED_MAX);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            match serde_json::from_str::<ToWorker>(&line) {
                Ok(command) => {
                    if commands_tx.blocking_send(command).is_err() {
                        return;
                    }
                }
                Err(error) => eprintln!("bank-load worker: ignoring a command it cannot read ({error}): {line}"),
            }
        }
    });
    commands
}

/// One line to the parent. A blocking write is fine: the parent always reads, and the
/// lines are few and short (the longest, `done`, is one number per device).
fn say(message: &ToParent) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(wire::line(message).as_bytes()).and_then(|()| out.flush());
    written.map_err(|error| format!("cannot report to the parent: {error}"))
}

/// The worker's view of its devices, fed by their events.
struct Tally {
    counters: Counters,
    generation: u32,
    /// The generation of each device's latest sign-in.
    signed_in: Vec<Option<u32>>,
    gave_up: Vec<bool>,
    /// Devices in the current generation, or gone for good.
    settled: usize,
    sign_in_us: Vec<u64>,
    done_sent: bool,
    changed: bool,
}

impl Tally {
    fn new(devices: usize) -> Tally {
        Tally {
            counters: Counters::default(),
            generation: 0,
            signed_in: vec![None; devices],
            gave_up: vec![false; devices],
            settled: 0,
            sign_in_us: Vec::with_capacity(devices),
            done_sent: devices == 0,
            changed: true,
        }
    }

    fn is_settled(&self, slot: usize) -> bool {
        self.gave_up[slot] || self.signed_in[slot] == Some(self.generation)
    }

    /// A new phase: from now on only sign-ins that begin in `generation` count.
    fn begin(&mut self, generation: u32) -> Option<ToParent> {
        self.generation = generation;
        self.settled = (0..self.signed_in.len()).filter(|slot| self.is_settled(*slot)).count();
        self.counters.in_phase =
            self.signed_in.iter().filter(|signed_in| **signed_in == Some(generation)).count() as u64;
        self.sign_in_us.clear();
        self.done_sent = false;
        self.done()
    }

    fn apply(&mut self, event: Event) -> Option<ToParent> {
        let slot = event.slot;
        let before = self.is_settled(slot);
        self.count(slot, event.kind);
        match (before, self.is_settled(slot)) {
            (false, true) => self.settled += 1,
            (true, false) => self.settled -= 1,
            _ => {}
        }
        self.changed = true;
        self.done()
    }

    fn count(&mut self, slot: usize, kind: EventKind) {
        let counters = &mut self.counters;
        match kind {
            EventKind::Attempt => counters.attempts += 1,
            EventKind::AttemptFailed(why) => {
                counters.attempts_failed += 1;
                counters.count_error(&why, 1);
            }
            EventKind::Refused(code) => {
                counters.refused += 1;
                counters.count_error(&format!("CONNACK return code {code}"), 1);
            }
            EventKind::Ready { generation, sign_in, with_token } => {
                counters.connected_now += 1;
                counters.ready += u64::from(self.signed_in[slot].is_none());
                counters.sign_ins_with_token += u64::from(with_token);
                if generation == self.generation && self.signed_in[slot] != Some(generation) {
                    self.sign_in_us.push(sign_in.as_micros() as u64);
                    counters.in_phase += 1;
                }
                self.signed_in[slot] = Some(generation);
            }
            EventKind::Lost(why) => {
                counters.connected_now = counters.connected_now.saturating_sub(1);
                counters.lost += 1;
                counters.count_error(&format!("lost: {why}"), 1);
            }
            EventKind::TokenIssued => counters.tokens_issued += 1,
            EventKind::TokenFailed(why) => {
                counters.tokens_failed += 1;
                counters.count_error(&why, 1);
            }
            EventKind::TokenRefused => counters.tokens_refused += 1,
            EventKind::GaveUp(why) => {
                self.gave_up[slot] = true;
                counters.gave_up += 1;
                counters.count_error(&format!("gave up: {why}"), 1);
            }
        }
    }

    fn done(&mut self) -> Option<ToParent> {
        if self.done_sent || self.settled < self.signed_in.len() {
            return None;
        }
        self.done_sent = true;
        let phase = if self.generation == 0 { Phase::Connect } else { Phase::Reconnect };
        let sign_in_us = std::mem::take(&mut self.sign_in_us);
        Some(ToParent::Done { phase, sign_in_us, counters: self.counters.clone() })
    }

    fn take_changed(&mut self) -> bool {
        std::mem::replace(&mut self.changed, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(slot: usize, generation: u32) -> Event {
        Event { slot, kind: EventKind::Ready { generation, sign_in: Duration::from_millis(3), with_token: false } }
    }

    #[test]
    fn a_phase_is_done_when_every_device_is_in_or_gave_up() {
        let mut tally = Tally::new(3);
        assert!(tally.apply(ready(0, 0)).is_none());
        assert!(tally.apply(Event { slot: 1, kind: EventKind::GaveUp("x".into()) }).is_none());
        let Some(ToParent::Done { phase, sign_in_us, counters }) = tally.apply(ready(2, 0)) else { panic!() };
        assert_eq!((phase, sign_in_us, counters.ready, counters.gave_up), (Phase::Connect, vec![3000, 3000], 2, 1));
        assert!(tally.apply(ready(2, 0)).is_none(), "done is said once per phase");
    }

    #[test]
    fn after_a_mark_only_sign_ins_that_began_in_the_new_generation_count() {
        let mut tally = Tally::new(2);
        tally.apply(ready(0, 0));
        tally.apply(ready(1, 0));
        assert!(tally.begin(1).is_none());
        tally.apply(Event { slot: 0, kind: EventKind::Lost("gone".into()) });
        assert!(tally.apply(ready(0, 0)).is_none(), "began before the mark");
        tally.apply(Event { slot: 0, kind: EventKind::Lost("gone again".into()) });
        assert!(tally.apply(ready(0, 1)).is_none());
        tally.apply(Event { slot: 1, kind: EventKind::Lost("gone".into()) });
        let Some(ToParent::Done { phase, sign_in_us, counters }) = tally.apply(ready(1, 1)) else { panic!() };
        assert_eq!((phase, sign_in_us.len(), counters.connected_now, counters.ready), (Phase::Reconnect, 2, 2, 2));
    }
}
