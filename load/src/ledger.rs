//! The ledger-service under test: found by its port, or started by the tool, and killed
//! with SIGKILL and started again for the restart measurement.

use std::fs::{File, OpenOptions};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::procfs::{self, ProcStatus};

/// How long a (re)started ledger may take to listen.
const LISTEN_WAIT_MAX: Duration = Duration::from_secs(120);
const LISTEN_POLL: Duration = Duration::from_millis(5);
/// How long a killed process may take to die, and a stopped one to shut down.
const EXIT_WAIT_MAX: Duration = Duration::from_secs(10);
const LOG_FILE: &str = "bank-load-ledger.log";

pub struct Ledger {
    target: SocketAddr,
    pid: Option<u32>,
    how: How,
}

enum How {
    /// Started by this tool: `PATH --mqtt-listen TARGET --data-dir DIR`, output in DIR.
    Spawned { path: PathBuf, data_dir: PathBuf, child: Child },
    /// Started by someone else; `restart_cmd` starts it again after the kill.
    External { restart_cmd: Option<String>, restarted: Option<Child> },
}

impl Ledger {
    pub async fn spawn(path: PathBuf, data_dir: PathBuf, target: SocketAddr) -> Result<Ledger, String> {
        if accepts(target).await {
            return Err(format!("something already listens on {target}; pick a free --port for --spawn-ledger"));
        }
        let child = start(&path, &data_dir, target)?;
        let mut ledger = Ledger { target, pid: Some(child.id()), how: How::Spawned { path, data_dir, child } };
        ledger.wait_listening(Instant::now()).await?;
        Ok(ledger)
    }

    /// A ledger someone else started; its pid from `--ledger-pid`, or the process listening on the port.
    pub fn external(target: SocketAddr, pid: Option<u32>, restart_cmd: Option<String>) -> Ledger {
        let pid = pid.or_else(|| procfs::listener_pid(target.port()));
        Ledger { target, pid, how: How::External { restart_cmd, restarted: None } }
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub fn status(&self) -> Option<ProcStatus> {
        procfs::status(self.pid?)
    }

    pub fn can_restart(&self) -> bool {
        match &self.how {
            How::Spawned { .. } => true,
            How::External { restart_cmd, .. } => restart_cmd.is_some() && self.pid.is_some(),
        }
    }

    /// SIGKILL, then start it again; returns the time from the kill until it listens.
    pub async fn kill_and_restart(&mut self) -> Result<Duration, String> {
        let pid = self.pid.ok_or("no ledger pid to kill; pass --ledger-pid")?;
        let killed_at = Instant::now();
        match &mut self.how {
            How::Spawned { path, data_dir, child } => {
                let _ = child.kill();
                let _ = child.wait();
                *child = start(path, data_dir, self.target)?;
                self.pid = Some(child.id());
            }
            How::External { restart_cmd, restarted } => {
                kill_external(pid, self.target.port()).await?;
                let command = restart_cmd.as_deref().ok_or("no --restart-cmd")?;
                *restarted = Some(run_restart_cmd(command)?);
                self.pid = None;
            }
        }
        let listening = self.wait_listening(killed_at).await?;
        if self.pid.is_none() {
            self.pid = procfs::listener_pid(self.target.port());
        }
        Ok(listening)
    }

    /// Stops a ledger this tool started (SIGTERM, then SIGKILL); leaves others running.
    pub fn stop(self) {
        let How::Spawned { mut child, .. } = self.how else { return };
        let _ = signal(child.id(), rustix::process::Signal::TERM);
        let deadline = std::time::Instant::now() + EXIT_WAIT_MAX;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    async fn wait_listening(&mut self, since: Instant) -> Result<Duration, String> {
        let deadline = since + LISTEN_WAIT_MAX;
        while Instant::now() < deadline {
            if accepts(self.target).await {
                return Ok(since.elapsed());
            }
            if let How::Spawned { child, data_dir, .. } = &mut self.how
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = data_dir.join(LOG_FILE);
                return Err(format!("ledger-service exited ({status}) before listening; see {}", log.display()));
            }
            sleep(LISTEN_POLL).await;
        }
        Err(format!("ledger-service did not listen on {} within {LISTEN_WAIT_MAX:?}", self.target))
    }
}

/// A connection to `target` that is not the socket talking to itself (a TCP self-connect
/// happens when the kernel picks the target port as the source port).
async fn accepts(target: SocketAddr) -> bool {
    let Ok(stream) = tokio::net::TcpStream::connect(target).await else { return false };
    stream.local_addr().ok() != stream.peer_addr().ok()
}

fn start(path: &PathBuf, data_dir: &PathBuf, target: SocketAddr) -> Result<Child, String> {
    std::fs::create_dir_all(data_dir).map_err(|error| format!("cannot create {}: {error}", data_dir.display()))?;
    let log = log_file(data_dir)?;
    let log_too = log.try_clone().map_err(|error| error.to_string())?;
    Command::new(path)
        .arg("--mqtt-listen")
        .arg(target.to_string())
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_too)
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", path.display()))
}

fn log_file(data_dir: &std::path::Path) -> Result<File, String> {
    let path = data_dir.join(LOG_FILE);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))
}

/// SIGKILL, then waits until the process is gone and so is its listening socket: the
/// thread-group leader turns zombie before its other threads have closed the files.
async fn kill_external(pid: u32, port: u16) -> Result<(), String> {
    if let Err(error) = signal(pid, rustix::process::Signal::KILL) {
        return Err(format!("cannot kill ledger-service (pid {pid}): {error}"));
    }
    let deadline = Instant::now() + EXIT_WAIT_MAX;
    while !procfs::is_gone(pid) || procfs::is_listening(port) {
        if Instant::now() > deadline {
            return Err(format!("ledger-service (pid {pid}) still runs {EXIT_WAIT_MAX:?} after SIGKILL"));
        }
        sleep(LISTEN_POLL).await;
    }
    Ok(())
}

/// Runs `sh -c COMMAND` and leaves it running: it may be the ledger itself or start it.
/// Its output goes to our stderr, so the summary on stdout stays clean.
fn run_restart_cmd(command: &str) -> Result<Child, String> {
    let stderr = std::io::stderr().as_fd().try_clone_to_owned().map_err(|error| error.to_string())?;
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stderr))
        .spawn()
        .map_err(|error| format!("cannot run --restart-cmd {command:?}: {error}"))
}

fn signal(pid: u32, signal: rustix::process::Signal) -> std::io::Result<()> {
    let pid =
        i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw).ok_or(std::io::ErrorKind::InvalidInput)?;
    rustix::process::kill_process(pid, signal).map_err(std::io::Error::from)
}
