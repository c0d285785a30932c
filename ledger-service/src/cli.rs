//! Command-line flags. Every flag has an environment-variable twin.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ledger-service",
    version,
    about = "MQTT Banking ledger: an embedded MQTT broker and a durable double-entry ledger."
)]
pub struct Cli {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a password from standard input and print its hash for a --config file.
    HashPassword,
    /// List or revoke device tokens; works while the service runs.
    Tokens {
        /// Directory of the ledger's SQLite file.
        #[arg(long, env = "LEDGER_DATA_DIR", default_value = "./ledger-data")]
        data_dir: PathBuf,
        #[command(subcommand)]
        action: TokensAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensAction {
    /// Every device that holds a token: account, device id, name, when issued.
    List,
    /// End the token of one device of an account, or of all its devices. The device
    /// must sign in with its password again.
    Revoke {
        /// The account, such as 00001.
        account: String,
        /// The device id (see `tokens list`); without it, every device of the account.
        device: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("tls_listener").multiple(true).args(["mqtts_listen", "https_listen"]))]
pub struct RunArgs {
    /// Address of the embedded broker's plain MQTT listener.
    #[arg(long, env = "LEDGER_MQTT_LISTEN", default_value = "0.0.0.0:1883", conflicts_with = "broker")]
    pub mqtt_listen: SocketAddr,

    /// Address of the embedded broker's TLS listener (needs --tls-cert and --tls-key).
    #[arg(long, env = "LEDGER_MQTTS_LISTEN", requires_all = ["tls_cert", "tls_key"], conflicts_with = "broker")]
    pub mqtts_listen: Option<SocketAddr>,

    /// PEM certificate chain for the TLS listeners (MQTT and HTTPS).
    #[arg(long, env = "LEDGER_TLS_CERT", requires = "tls_listener")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for the TLS listeners (MQTT and HTTPS).
    #[arg(long, env = "LEDGER_TLS_KEY", requires = "tls_listener")]
    pub tls_key: Option<PathBuf>,

    /// Where phones open the banking screens in a browser [default: the --mqtt-listen
    /// host, port 8080; 0.0.0.0:8080 with --broker]. If the default port is taken, the
    /// service runs without it and says so.
    #[arg(long, env = "LEDGER_HTTP_LISTEN", conflicts_with = "no_http")]
    pub http_listen: Option<SocketAddr>,

    /// The same screens over HTTPS, with --tls-cert and --tls-key.
    #[arg(long, env = "LEDGER_HTTPS_LISTEN", requires_all = ["tls_cert", "tls_key"])]
    pub https_listen: Option<SocketAddr>,

    /// Serve no web page for phones.
    #[arg(long, env = "LEDGER_NO_HTTP")]
    pub no_http: bool,

    /// Most browsers signed in through the web page at once.
    #[arg(long, env = "LEDGER_HTTP_DEVICES_MAX", default_value_t = bank_web::DEVICES_MAX)]
    pub http_devices_max: usize,

    /// Directory of the ledger's SQLite file; created if missing.
    #[arg(long, env = "LEDGER_DATA_DIR", default_value = "./ledger-data")]
    pub data_dir: PathBuf,

    /// TOML file of accounts and password hashes (default: the built-in demo accounts).
    #[arg(long, env = "LEDGER_CONFIG")]
    pub config: Option<PathBuf>,

    /// Most transfer requests committed in one SQLite transaction (group commit); 1 turns it off.
    #[arg(long, env = "LEDGER_BATCH_MAX", default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub batch_max: u16,

    /// Most publishes per second one device may make, sustained (embedded broker); 0 turns pacing off.
    #[arg(long, env = "LEDGER_PUBLISH_RATE_MAX", default_value_t = 100)]
    pub publish_rate_max: u32,

    /// Publishes a device may make at once before pacing starts (embedded broker).
    #[arg(long, env = "LEDGER_PUBLISH_BURST_MAX", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub publish_burst_max: u32,

    /// Use this external broker instead of the embedded one, e.g. mqtt://ledger:PASSWORD@127.0.0.1:1883.
    #[arg(long, env = "LEDGER_BROKER")]
    pub broker: Option<String>,
}
