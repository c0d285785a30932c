//! The parent: starts the worker processes, runs the phases, measures the ledger, and
//! builds the report. Workers report over their stdout; a reader task per worker keeps
//! a shared view current, and each phase waits on that view with a deadline.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout_at};

use crate::ledger::Ledger;
use crate::probe;
use crate::report::{PhaseResult, Report, Restart, Setup};
use crate::wire::{self, Counters, Phase, ToParent, ToWorker, WorkerConfig};

const HELLO_WAIT_MAX: Duration = Duration::from_secs(30);
const MARK_WAIT_MAX: Duration = Duration::from_secs(30);
const QUIT_WAIT_MAX: Duration = Duration::from_secs(10);
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What to run, from the command line.
pub struct Plan {
    pub worker: WorkerConfig,
    pub processes: usize,
    pub samples: usize,
    pub restart: bool,
    pub settle: Duration,
    pub connect_deadline: Duration,
    pub reconnect_deadline: Duration,
}

pub async fn run(plan: &Plan, ledger: &mut Ledger) -> Result<Report, String> {
    let (before, first_pid) = (ledger.status(), ledger.pid());
    let mut workers = Workers::spawn(plan)?;
    workers.wait_for(Instant::now() + HELLO_WAIT_MAX, "the workers' hello", |view| view.all(|w| w.hello)).await?;
    let progress = tokio::spawn(print_progress(workers.view.clone(), plan.worker.devices));
    let connect = workers.phase(Phase::Connect, plan.connect_deadline).await?;
    sleep(plan.settle).await;
    let after = ledger.status();
    eprintln!("bank-load: {} devices in; timing live updates", connect.signed_in);
    let live_update =
        probe::live_update(plan.worker.target, &plan.worker.password, plan.worker.fleet_id, plan.samples).await;
    let restart = restart(plan, ledger, &mut workers, &connect).await;
    progress.abort();
    let counters = workers.counters();
    workers.quit().await;
    let setup = setup(plan, first_pid);
    Ok(Report { setup, connect, before, after, live_update, restart, counters })
}

async fn restart(
    plan: &Plan,
    ledger: &mut Ledger,
    workers: &mut Workers,
    connect: &PhaseResult,
) -> Result<Restart, String> {
    if !plan.restart {
        return Err("not run (--skip-restart)".into());
    }
    if !ledger.can_restart() {
        return Err("not run: give --spawn-ledger, or --restart-cmd with a ledger pid".into());
    }
    if !connect.complete {
        return Err("not run: the first sign-in did not finish".into());
    }
    workers.mark(1).await?;
    let pid = ledger.pid().map_or("?".into(), |pid| pid.to_string());
    eprintln!("bank-load: killing ledger-service (pid {pid}) with SIGKILL and starting it again");
    let killed_at = Instant::now();
    let listening = ledger.kill_and_restart().await?;
    let mut phase = workers.phase(Phase::Reconnect, plan.reconnect_deadline).await?;
    phase.elapsed = workers.last_done_at(Phase::Reconnect).map_or(phase.elapsed, |at| at - killed_at);
    sleep(plan.settle).await;
    Ok(Restart { listening, phase, after: ledger.status(), pid: ledger.pid() })
}

fn setup(plan: &Plan, ledger_pid: Option<u32>) -> Setup {
    let worker = &plan.worker;
    Setup {
        devices: worker.devices,
        processes: plan.processes,
        concurrency: share(worker, 0, plan.processes).concurrency * plan.processes,
        accounts: worker.accounts,
        keepalive_secs: worker.keepalive_secs,
        tokens: worker.tokens,
        source_ips: worker.source_ips,
        ledger_pid,
    }
}

/// A worker as the parent sees it.
#[derive(Default)]
struct WorkerView {
    hello: bool,
    counters: Counters,
    marked: u32,
    connect_done: Option<Done>,
    reconnect_done: Option<Done>,
    exited: bool,
}

struct Done {
    at: Instant,
    sign_in_us: Vec<u64>,
}

#[derive(Default)]
struct View {
    workers: Vec<WorkerView>,
}

impl View {
    fn all(&self, done: impl Fn(&WorkerView) -> bool) -> bool {
        self.workers.iter().all(done)
    }

    fn done(&self, phase: Phase) -> impl Iterator<Item = &Done> {
        self.workers.iter().filter_map(move |worker| match phase {
            Phase::Connect => worker.connect_done.as_ref(),
            Phase::Reconnect => worker.reconnect_done.as_ref(),
        })
    }

    fn counters(&self) -> Counters {
        let mut total = Counters::default();
        self.workers.iter().for_each(|worker| total.add(&worker.counters));
        total
    }

    fn apply(&mut self, index: usize, message: ToParent) {
        let worker = &mut self.workers[index];
        match message {
            ToParent::Hello { devices, nofile_soft } => {
                worker.hello = true;
                if nofile_soft < devices + 16 {
                    eprintln!("bank-load: worker {index} may open only {nofile_soft} files for {devices} devices");
                }
            }
            ToParent::Status { counters } => worker.counters = counters,
            ToParent::Marked { generation } => worker.marked = generation,
            ToParent::Done { phase, sign_in_us, counters } => {
                let done = Some(Done { at: Instant::now(), sign_in_us });
                worker.counters = counters;
                match phase {
                    Phase::Connect => worker.connect_done = done,
                    Phase::Reconnect => worker.reconnect_done = done,
                }
            }
        }
    }
}

struct Workers {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    view: Arc<Mutex<View>>,
    changed: watch::Receiver<()>,
}

impl Workers {
    fn spawn(plan: &Plan) -> Result<Workers, String> {
        let exe = std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
        let (changed_tx, changed) = watch::channel(());
        let view = Arc::new(Mutex::new(View::default()));
        let (mut children, mut stdins) = (Vec::new(), Vec::new());
        for index in 0..plan.processes {
            let config = share(&plan.worker, index, plan.processes);
            let json = serde_json::to_string(&config).expect("a config always serialises");
            let mut child = Command::new(&exe)
                .args(["worker", "--config", &json])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|error| format!("cannot start worker {index}: {error}"))?;
            stdins.push(child.stdin.take().expect("piped"));
            let stdout = child.stdout.take().expect("piped");
            view.lock().expect("never poisoned").workers.push(WorkerView::default());
            tokio::spawn(read_reports(index, stdout, view.clone(), changed_tx.clone()));
            children.push(child);
        }
        Ok(Workers { children, stdins, view, changed })
    }

    /// Runs one phase to its end or its deadline; a deadline still gives what got in.
    async fn phase(&mut self, phase: Phase, deadline: Duration) -> Result<PhaseResult, String> {
        let started = Instant::now();
        if phase == Phase::Connect {
            self.send(&ToWorker::Go).await?;
        }
        let waited =
            self.wait_for(started + deadline, "every device", |view| view.done(phase).count() == view.workers.len());
        let complete = match waited.await {
            Ok(()) => true,
            Err(why) if why.starts_with("timed out") => false,
            Err(why) => return Err(why),
        };
        let view = self.view.lock().expect("never poisoned");
        let mut sign_in_us: Vec<u64> = view.done(phase).flat_map(|done| done.sign_in_us.iter().copied()).collect();
        sign_in_us.sort_unstable();
        let last_at = view.done(phase).map(|done| done.at).max();
        let elapsed = match (complete, last_at) {
            (true, Some(at)) => at - started,
            _ => started.elapsed(),
        };
        let signed_in = view.counters().in_phase;
        Ok(PhaseResult { signed_in, complete, elapsed, sign_in_us })
    }

    fn last_done_at(&self, phase: Phase) -> Option<Instant> {
        self.view.lock().expect("never poisoned").done(phase).map(|done| done.at).max()
    }

    async fn mark(&mut self, generation: u32) -> Result<(), String> {
        self.send(&ToWorker::Mark { generation }).await?;
        let deadline = Instant::now() + MARK_WAIT_MAX;
        self.wait_for(deadline, "the workers' mark", |view| view.all(|w| w.marked == generation)).await
    }

    fn counters(&self) -> Counters {
        self.view.lock().expect("never poisoned").counters()
    }

    async fn send(&mut self, command: &ToWorker) -> Result<(), String> {
        let line = wire::line(command);
        for (index, stdin) in self.stdins.iter_mut().enumerate() {
            stdin.write_all(line.as_bytes()).await.map_err(|error| format!("cannot reach worker {index}: {error}"))?;
            stdin.flush().await.map_err(|error| format!("cannot reach worker {index}: {error}"))?;
        }
        Ok(())
    }

    /// Waits until `done` holds for the view; fails at the deadline or when a worker dies.
    async fn wait_for(&mut self, deadline: Instant, what: &str, done: impl Fn(&View) -> bool) -> Result<(), String> {
        loop {
            self.changed.borrow_and_update();
            {
                let view = self.view.lock().expect("never poisoned");
                if done(&view) {
                    return Ok(());
                }
                if let Some(index) = view.workers.iter().position(|worker| worker.exited) {
                    return Err(format!("worker {index} exited while waiting for {what}"));
                }
            }
            match timeout_at(deadline, self.changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(format!("every worker's reports ended while waiting for {what}")),
                Err(_) => return Err(format!("timed out waiting for {what}")),
            }
        }
    }

    async fn quit(mut self) {
        let _ = self.send(&ToWorker::Quit).await;
        let deadline = Instant::now() + QUIT_WAIT_MAX;
        for child in &mut self.children {
            if timeout_at(deadline, child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }
}

/// Worker `index` of `processes`: its slice of the devices and of the sign-in concurrency.
pub fn share(fleet: &WorkerConfig, index: usize, processes: usize) -> WorkerConfig {
    let (index, processes) = (index as u64, processes.max(1) as u64);
    let start = fleet.devices * index / processes;
    let end = fleet.devices * (index + 1) / processes;
    WorkerConfig {
        first_index: start,
        devices: end - start,
        concurrency: fleet.concurrency.div_ceil(processes as usize).max(1),
        ..fleet.clone()
    }
}

/// Keeps the view current from one worker's stdout; ends when the worker does.
async fn read_reports(index: usize, stdout: ChildStdout, view: Arc<Mutex<View>>, changed: watch::Sender<()>) {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match serde_json::from_str::<ToParent>(&line) {
            Ok(message) => view.lock().expect("never poisoned").apply(index, message),
            Err(error) => eprintln!("bank-load: worker {index} said something unreadable ({error}): {line}"),
        }
        changed.send_replace(());
    }
    view.lock().expect("never poisoned").workers[index].exited = true;
    changed.send_replace(());
}

/// A progress line on stderr every few seconds, so a long run shows it is alive.
async fn print_progress(view: Arc<Mutex<View>>, devices: u64) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    // Aborted by the parent when the measurements end.
    loop {
        tick.tick().await;
        let c = view.lock().expect("never poisoned").counters();
        eprintln!(
            "bank-load: {:>5.0} s  in {}/{devices}  connected {}  attempts {} (failed {}, refused {})  lost {}  gave up {}",
            started.elapsed().as_secs_f64(),
            c.ready,
            c.connected_now,
            c.attempts,
            c.attempts_failed,
            c.refused,
            c.lost,
            c.gave_up
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(devices: u64, concurrency: usize) -> WorkerConfig {
        WorkerConfig {
            target: "127.0.0.1:1883".parse().unwrap(),
            fleet_id: 0x10ad,
            first_index: 0,
            devices,
            accounts: 5,
            password: "demo".into(),
            keepalive_secs: 20,
            concurrency,
            source_ips: 254,
            tokens: false,
            retry_min_ms: 500,
            retry_max_ms: 30_000,
            retry_deadline_secs: 600,
            reply_timeout_secs: 60,
        }
    }

    #[test]
    fn devices_and_concurrency_are_shared_out_without_gaps() {
        let shares: Vec<WorkerConfig> = (0..4).map(|index| share(&fleet(19_001, 20), index, 4)).collect();
        assert_eq!(shares.iter().map(|s| s.devices).sum::<u64>(), 19_001);
        for pair in shares.windows(2) {
            assert_eq!(pair[0].first_index + pair[0].devices, pair[1].first_index);
        }
        assert!(shares.iter().all(|s| s.concurrency == 5));
        assert_eq!(share(&fleet(3, 1), 1, 4).concurrency, 1);
    }
}
