//! `ledger-service`: run `cargo run -p ledger-service` and point devices at port 1883.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ledger_service::cli::{self, Cli, Command};
use ledger_service::{config, service};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::HashPassword) => hash_password(),
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
    // rmqtt links two rustls crypto providers, so rustls cannot pick one by itself.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(service::run(args)).map_err(|error| error.to_string())
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
