//! `bank` as a user runs it, against a real ledger-service: what it prints and the exit
//! code of each outcome.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A ledger-service with its embedded broker on a free loopback port.
struct Ledger {
    port: u16,
    process: Child,
    _data: TempDir,
}

impl Ledger {
    fn start() -> Ledger {
        // `cargo test --workspace` builds every binary before it runs any test.
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_bank")).with_file_name("ledger-service");
        assert!(binary.exists(), "{} is missing: run `cargo build -p ledger-service` first", binary.display());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data = TempDir::new().unwrap();
        let process = Command::new(binary)
            .args(["--mqtt-listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "ledger-service did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ledger { port, process, _data: data }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Runs `bank --port PORT --storage-dir STORAGE ARGS…` with the demo password.
fn bank(port: u16, storage: &TempDir, args: &[&str]) -> (i32, String, String) {
    let timeout = if args.contains(&"--timeout") { &[][..] } else { &["--timeout", "5"][..] };
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_bank"))
        .args(timeout)
        .args(["--port", &port.to_string(), "--storage-dir"])
        .arg(storage.path())
        .args(args)
        .env("BANK_PASSWORD", "demo")
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (status.code().unwrap_or(-1), text(stdout), text(stderr))
}

#[test]
fn a_transfer_prints_the_new_balance_and_history_shows_it() {
    let ledger = Ledger::start();
    let storage = TempDir::new().unwrap();
    let (code, out, err) =
        bank(ledger.port, &storage, &["--account", "00001", "transfer", "00002", "5.00", "--memo", "lunch"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "To #00002  -$5.00  done. Balance $995.00\n", ""));
    let (code, out, _) = bank(ledger.port, &storage, &["--account", "00002", "history"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Account #00002  balance $731.14\n"), "{out}");
    assert!(out.contains("From #00001") && out.contains("+$5.00") && out.contains("lunch"), "{out}");
}

#[test]
fn every_failure_has_its_exit_code_and_says_what_to_do() {
    let ledger = Ledger::start();
    let storage = TempDir::new().unwrap();
    let port = ledger.port;
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["--account", "00001", "transfer", "00002", "5.001"],
            2,
            "Amount can have at most 2 digits after the decimal point",
        ),
        (&["--account", "00001", "transfer", "00001", "5"], 2, "You can't send money to your own account"),
        (&["--account", "1", "history"], 2, "The account number is 5 digits, like 00001."),
        (&["--account", "00001", "--password", "wrong", "history"], 3, "Login failed"),
        (&["--account", "00001", "transfer", "00009", "5"], 5, "Rejected: there is no account #00009"),
    ];
    for (args, expected_code, expected_message) in cases {
        let (code, _, err) = bank(port, &storage, args);
        assert_eq!(code, expected_code, "{args:?}: {err}");
        assert!(err.starts_with("bank: ") && err.contains(expected_message), "{args:?}: {err}");
    }
}

#[test]
fn an_unreachable_ledger_keeps_the_transfer_for_the_next_run() {
    let storage = TempDir::new().unwrap();
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, _, err) = bank(closed_port, &storage, &["--account", "00001", "--timeout", "1", "history"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("nothing is listening") && err.contains("cargo run -p ledger-service"), "{err}");

    let (code, _, err) =
        bank(closed_port, &storage, &["--account", "00001", "--timeout", "1", "transfer", "00002", "1.00"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("The transfer is saved on this machine"), "{err}");

    let ledger = Ledger::start();
    let (code, out, err) = bank(ledger.port, &storage, &["--account", "00001", "transfer", "00002", "2.00"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("Balance $997.00\n"), "both the saved and the new transfer, once each: {out}");
}
