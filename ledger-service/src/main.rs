//! `ledger-service`: run `cargo run -p ledger-service` and point devices at port 1883.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ledger_service::cli::{self, Cli, Command, TokensAction};
use ledger_service::login::tokens::TokenStore;
use ledger_service::{config, service};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::HashPassword) => hash_password(),
        Some(Command::Tokens { data_dir, action }) => tokens(&data_dir, action),
        None => run(cli.run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: cli::RunArgs) -> Result<(), String> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmqtt=warn,rmqtt_retainer=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(std::io::stdout().is_terminal()).init();
    raise_open_files_limit();
    // rmqtt links two rustls crypto providers, so rustls cannot pick one by itself.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(service::run(args)).map_err(|error| error.to_string())
}

/// Every device holds a socket. A soft limit of 1,024 (a common default) would stall the
/// broker near 1,000 devices with nothing but a debug-level log line, so take the hard limit.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < 10_000 => {
            tracing::warn!(
                limit,
                "at most {limit} open files: about that many devices can connect; raise `ulimit -Hn`"
            );
        }
        Ok(limit) => tracing::info!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}

fn hash_password() -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("no password on standard input; try: echo -n 'my password' | ledger-service hash-password".into());
    }
    println!("{}", config::hash_password(password)?);
    Ok(())
}

fn tokens(data_dir: &std::path::Path, action: TokensAction) -> Result<(), String> {
    let path = data_dir.join(service::DATABASE_FILE);
    if !path.exists() {
        return Err(format!("no ledger at {}; pass the service's --data-dir", path.display()));
    }
    let store = TokenStore::open(&path).map_err(|error| error.to_string())?;
    match action {
        TokensAction::List => {
            for token in store.list().map_err(|error| error.to_string())? {
                println!("{}  {}  {:<24}  issued {}", token.account, token.device, token.name, token.issued_at);
            }
        }
        TokensAction::Revoke { account, device } => {
            let parsed = bank_protocol::AccountId::parse(&account)
                .ok_or_else(|| format!("{account:?} is not an account number; it is 5 digits, like 00001"))?;
            let revoked = store.revoke(parsed, device.as_deref()).map_err(|error| error.to_string())?;
            println!("revoked {revoked} device token(s) of account {account}");
        }
    }
    Ok(())
}
