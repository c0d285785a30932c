//! `bank`: a terminal device for MQTT Banking. It is a shell over bank-core like the
//! phone apps, so it sees the same balances, history and errors they do.

mod device;

/// `println!` that ends the program quietly when stdout is closed (`bank history | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    };
}

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bank_core::app::{HistoryRow, RowStatus, ViewModel};
use bank_core::session::{CredentialStore, FileCredentialStore, SessionConfig, SessionError};
use clap::{Parser, Subcommand};

use device::Device;

const EXIT_HELP: &str = "\
Exit codes:
  0  done
  2  bad arguments or a transfer form error; nothing was sent
  3  login refused: wrong account or password
  4  could not reach the broker or the ledger in time
  5  the ledger rejected the transfer
  6  the transfer is saved on this machine but not confirmed yet (broker or ledger not
     reachable, or no answer in time); `bank transfer` sends it again on its next run";

#[derive(Parser)]
#[command(name = "bank", version, about = "A terminal device for MQTT Banking: watch a balance, send money, read history.", after_help = EXIT_HELP)]
struct Cli {
    /// The broker: the machine running ledger-service.
    #[arg(long, env = "BANK_HOST", default_value = "127.0.0.1")]
    host: String,
    #[arg(long, env = "BANK_PORT", default_value_t = 1883)]
    port: u16,
    /// Connect with TLS (ledger-service --mqtts-listen).
    #[arg(long)]
    tls: bool,
    /// PEM file of the CA that signed the broker's certificate; implies --tls.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Your 5-digit account number, such as 00001.
    #[arg(long, env = "BANK_ACCOUNT")]
    account: String,
    /// The account's password (demo accounts use `demo`). Needed once per device: after it,
    /// `bank` signs in with the device token it keeps in --storage-dir.
    #[arg(long, env = "BANK_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Where this terminal keeps its device ids and the transfers waiting for the ledger
    /// [default: $XDG_DATA_HOME/mqtt-banking or ~/.local/share/mqtt-banking].
    #[arg(long, env = "BANK_STORAGE_DIR", value_name = "DIR")]
    storage_dir: Option<PathBuf>,
    /// How this terminal appears in other devices' lists [default: `bank watch`, …].
    #[arg(long)]
    device_name: Option<String>,
    /// How long to wait for the broker, the ledger or a result.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the live balance and history until interrupted.
    Watch,
    /// Send money and wait for the ledger's answer.
    Transfer {
        /// The payee's account number.
        to: String,
        /// Like 5.00.
        amount: String,
        #[arg(long, default_value = "")]
        memo: String,
    },
    /// Print the history, newest first.
    History {
        /// Load every page, not only the newest.
        #[arg(long)]
        all: bool,
    },
}

/// `bank`'s exit codes, as `--help` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Usage = 2,
    LoginRefused = 3,
    Unreachable = 4,
    Rejected = 5,
    Unconfirmed = 6,
}

/// Why `bank` stopped early: a message for stderr and an exit code.
pub struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    pub fn usage(error: impl std::fmt::Display) -> Failure {
        Failure { exit: Exit::Usage, message: error.to_string() }
    }

    pub fn login(view: &ViewModel) -> Failure {
        let reason = view.connection_reason.as_deref().unwrap_or("the broker refused the sign-in");
        Failure {
            exit: Exit::LoginRefused,
            message: format!("Login failed: {reason}. Demo accounts 00001–00005 use the password `demo`."),
        }
    }

    pub fn unreachable(view: &ViewModel) -> Failure {
        let message = match view.ledger_text.as_deref() {
            Some(ledger) => ledger.to_string(),
            None if view.connection == bank_core::app::ConnectionState::Online => {
                "Connected, but the ledger did not answer. Is ledger-service running and connected to this broker?"
                    .into()
            }
            None => {
                let reason = view.connection_reason.as_deref().unwrap_or("no connection to the broker yet");
                format!("Offline: {reason}. Start it with `cargo run -p ledger-service`, or pass --host and --port.")
            }
        };
        Failure { exit: Exit::Unreachable, message }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("bank: {}", failure.message);
            ExitCode::from(failure.exit as u8)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let timeout = Duration::from_secs(cli.timeout);
    let deadline = Instant::now() + timeout;
    // Each command is a device of its own with a stable id, so `bank watch` can run while
    // `bank transfer` sends from the same account, and repeated runs reuse one broker
    // session and one presence topic instead of leaving new ones behind.
    let kind = match cli.command {
        Command::Watch => "watch",
        Command::Transfer { .. } => "transfer",
        Command::History { .. } => "history",
    };
    let storage = cli.storage_dir.clone().unwrap_or_else(default_storage_dir).join(kind);
    let device_name = cli.device_name.clone().unwrap_or_else(|| format!("bank {kind}"));
    let mut device = Device::open(config(&cli, storage, device_name)?).map_err(|error| match error {
        SessionError::InUse { message } => Failure::usage(format!(
            "{message} Another `bank {kind}` for this account is running; stop it, or pass another --storage-dir."
        )),
        error => Failure::usage(error),
    })?;
    match cli.command {
        Command::Watch => watch(&mut device, deadline),
        Command::Transfer { to, amount, memo } => transfer(&mut device, timeout, &to, &amount, &memo),
        Command::History { all } => history(&mut device, deadline, all),
    }
}

fn config(cli: &Cli, storage: PathBuf, device_name: String) -> Result<SessionConfig, Failure> {
    let has_token = FileCredentialStore::new(&storage).load(cli.account.clone()).is_some();
    let password = match cli.password.clone() {
        Some(password) => password,
        // This device signed in before and kept its token.
        None if has_token => String::new(),
        None => {
            return Err(Failure::usage("no password: pass --password or set BANK_PASSWORD (demo accounts use `demo`)"));
        }
    };
    let ca_certificate_pem = match &cli.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|error| Failure::usage(format!("cannot read --ca-file {}: {error}", path.display())))?,
        ),
        None => None,
    };
    Ok(SessionConfig {
        host: cli.host.clone(),
        port: cli.port,
        tls: cli.tls || ca_certificate_pem.is_some(),
        ca_certificate_pem,
        account: cli.account.clone(),
        password,
        device_name,
        keepalive_secs: 20,
        storage_dir: storage.to_string_lossy().into_owned(),
    })
}

fn default_storage_dir() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("mqtt-banking")
}

fn watch(device: &mut Device, deadline: Instant) -> Result<(), Failure> {
    device.wait_until_current(deadline)?;
    let view = &device.latest;
    say!("{}  {}  balance {}", view.account_title, view.connection_text, view.balance_text);
    let mut shown: HashMap<String, RowStatus> = HashMap::new();
    for row in view.history.iter().rev() {
        say!("{}", row_line(row));
        shown.insert(row.id.clone(), row.status);
    }
    let (mut balance, mut connection) = (view.balance_text.clone(), view.connection_text.clone());
    while let Some(view) = device.next(None) {
        for row in view.history.iter().rev() {
            if shown.insert(row.id.clone(), row.status) != Some(row.status) {
                say!("{}", row_line(row));
            }
        }
        if view.balance_text != balance {
            balance.clone_from(&view.balance_text);
            say!("balance {balance}");
        }
        if view.connection_text != connection {
            connection.clone_from(&view.connection_text);
            say!("{connection}");
        }
    }
    Ok(())
}

fn transfer(device: &mut Device, timeout: Duration, to: &str, amount: &str, memo: &str) -> Result<(), Failure> {
    // Connected first, the form is also checked against the balance. An unreachable
    // broker or ledger does not stop the transfer: it waits in the outbox, like a phone's.
    if let Err(failure) = device.wait_until_current(Instant::now() + timeout)
        && failure.exit == Exit::LoginRefused
    {
        return Err(failure);
    }
    let id = device.session.transfer(to, amount, memo).map_err(Failure::usage)?;
    let Some(id) = id.map(|id| id.to_string()) else {
        let view = device.session.view();
        let errors: Vec<String> =
            [view.form.payee_error, view.form.amount_error, view.form.memo_error].into_iter().flatten().collect();
        let notice = view.notice.map(|notice| notice.text).unwrap_or_default();
        return Err(Failure::usage(if errors.is_empty() { notice } else { errors.join("; ") }));
    };
    let settled = device
        .wait_for(Instant::now() + timeout, |view| row(view, &id).is_some_and(|row| row.status != RowStatus::Pending));
    if let Err(failure) = settled {
        let why = match failure.exit {
            Exit::Unreachable => failure.message,
            _ => "no answer from the ledger in time.".into(),
        };
        return Err(Failure {
            exit: Exit::Unconfirmed,
            message: format!(
                "{why}\nThe transfer is saved on this machine; the next `bank transfer` for this account sends it again, and the ledger applies it once."
            ),
        });
    }
    let view = &device.latest;
    let row = row(view, &id).expect("waited for this row");
    if row.status == RowStatus::Rejected {
        let message = format!("{} {}: {}", row.title, row.amount_text, row.status_text);
        return Err(Failure { exit: Exit::Rejected, message });
    }
    say!("{}  {}  done. Balance {}", row.title, row.amount_text, view.balance_text);
    Ok(())
}

fn history(device: &mut Device, deadline: Instant, all: bool) -> Result<(), Failure> {
    device.wait_until_current(deadline)?;
    while all && device.latest.can_load_more_history {
        let shown = device.latest.history.len();
        device.session.load_more_history();
        device.wait_for(deadline, |view| {
            !view.history_loading && (view.history.len() > shown || !view.can_load_more_history)
        })?;
    }
    let view = &device.latest;
    say!("{}  balance {}", view.account_title, view.balance_text);
    if view.history.is_empty() {
        say!("No transfers yet.");
    }
    for row in &view.history {
        say!("{}", row_line(row));
    }
    if view.can_load_more_history {
        say!("… older entries: run `bank history --all`");
    }
    Ok(())
}

fn row<'a>(view: &'a ViewModel, id: &str) -> Option<&'a HistoryRow> {
    view.history.iter().find(|row| row.id == id)
}

fn row_line(row: &HistoryRow) -> String {
    let memo = row.memo.as_deref().unwrap_or("");
    let after = row.balance_after_text.as_deref().map(|balance| format!("  · {balance}")).unwrap_or_default();
    format!("{:<14} {:<12} {:>14}  {:<20} {}{after}", row.time_text, row.title, row.amount_text, memo, row.status_text)
}
