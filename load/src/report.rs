//! The summary: one Markdown table on stdout, ready to paste into docs/benchmarks.md.

use std::fmt::Write;
use std::time::Duration;

use crate::procfs::ProcStatus;
use crate::wire::Counters;

/// Error kinds listed in the table; the full counts are in the progress lines on stderr.
const ERRORS_SHOWN_MAX: usize = 4;

pub struct Setup {
    pub devices: u64,
    pub processes: usize,
    pub concurrency: usize,
    pub accounts: u32,
    pub keepalive_secs: u16,
    pub tokens: bool,
    pub source_ips: u8,
    pub ledger_pid: Option<u32>,
}

/// One phase: the first sign-in of every device, or getting back in after the restart.
pub struct PhaseResult {
    pub signed_in: u64,
    pub complete: bool,
    /// From `go` (or the kill) to the last worker's `done`.
    pub elapsed: Duration,
    /// Per device, sorted.
    pub sign_in_us: Vec<u64>,
}

pub struct Restart {
    /// The new ledger-service's.
    pub pid: Option<u32>,
    pub listening: Duration,
    pub phase: PhaseResult,
    pub after: Option<ProcStatus>,
}

pub struct Report {
    pub setup: Setup,
    pub connect: PhaseResult,
    pub before: Option<ProcStatus>,
    pub after: Option<ProcStatus>,
    pub live_update: Result<Vec<Duration>, String>,
    pub restart: Result<Restart, String>,
    pub counters: Counters,
}

impl Report {
    /// Every device got in, both times (or the restart was not asked for).
    pub fn all_in(&self) -> bool {
        let restarted = match &self.restart {
            Ok(restart) => restart.phase.complete && restart.phase.signed_in == self.setup.devices,
            Err(_) => true,
        };
        self.connect.complete && self.connect.signed_in == self.setup.devices && restarted
    }

    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = Vec::new();
        self.setup_rows(&mut rows);
        self.connect_rows(&mut rows);
        self.memory_rows(&mut rows);
        rows.push(("live update 00001 → a watching 00002 device, p50 / max".into(), self.live_update_value()));
        self.restart_rows(&mut rows);
        self.counter_rows(&mut rows);
        let mut out = String::from("| bank-load | |\n|---|---:|\n");
        for (label, value) in rows {
            let _ = writeln!(out, "| {label} | {value} |");
        }
        out
    }

    fn setup_rows(&self, rows: &mut Vec<(String, String)>) {
        let setup = &self.setup;
        let how = format!(
            "{} in {} processes, {} sign-ins at a time, accounts 00001–{:05}, keepalive {} s, {}, {} source addresses",
            thousands(setup.devices),
            setup.processes,
            setup.concurrency,
            setup.accounts,
            setup.keepalive_secs,
            if setup.tokens { "device tokens" } else { "passwords" },
            setup.source_ips,
        );
        rows.push(("devices".into(), how));
        let mut pid = setup.ledger_pid.map_or("not found (no memory figures)".into(), |pid| pid.to_string());
        if let Ok(Restart { pid: Some(again), .. }) = &self.restart {
            pid.push_str(&format!(", {again} after the restart"));
        }
        rows.push(("ledger-service pid".into(), pid));
    }

    fn connect_rows(&self, rows: &mut Vec<(String, String)>) {
        let connect = &self.connect;
        rows.push(("signed in with their retained balance".into(), self.signed_in_value(connect)));
        rows.push(("time until all were in".into(), seconds(connect.elapsed)));
        rows.push(("connect rate".into(), format!("{} devices/s", rate_text(rate(connect)))));
        rows.push(("sign-in time per device, p50 / p99 / max".into(), quantiles(&connect.sign_in_us)));
    }

    fn memory_rows(&self, rows: &mut Vec<(String, String)>) {
        let (before, after) = (self.before, self.after);
        rows.push(("ledger RSS before".into(), before.map_or("n/a".into(), |s| mib(s.rss_kib))));
        rows.push(("ledger RSS with all connected".into(), after.map_or("n/a".into(), |s| mib(s.rss_kib))));
        let per_device = match (before, after) {
            (Some(before), Some(after)) if self.connect.signed_in > 0 => {
                let delta_kib = after.rss_kib as f64 - before.rss_kib as f64;
                per_device_size(delta_kib / self.connect.signed_in as f64)
            }
            _ => "n/a".into(),
        };
        rows.push(("memory per device (ΔRSS / devices in)".into(), per_device));
        rows.push(("ledger peak RSS (VmHWM)".into(), after.map_or("n/a".into(), |s| mib(s.rss_peak_kib))));
        let threads = match (before, after) {
            (Some(before), Some(after)) => format!("{} → {}", before.threads, after.threads),
            _ => "n/a".into(),
        };
        rows.push(("ledger threads before → with all connected".into(), threads));
    }

    fn restart_rows(&self, rows: &mut Vec<(String, String)>) {
        let restart = match &self.restart {
            Ok(restart) => restart,
            Err(why) => {
                rows.push(("restart".into(), why.clone()));
                return;
            }
        };
        rows.push(("restart: SIGKILL → listening again".into(), seconds(restart.listening)));
        rows.push(("restart: SIGKILL → all devices in again".into(), seconds(restart.phase.elapsed)));
        rows.push(("devices back in after the restart".into(), self.signed_in_value(&restart.phase)));
        rows.push((
            "time back per device (drop → balance), p50 / p99 / max".into(),
            quantiles(&restart.phase.sign_in_us),
        ));
        let after = restart.after;
        rows.push(("ledger RSS after the restart, all back".into(), after.map_or("n/a".into(), |s| mib(s.rss_kib))));
        rows.push((
            "ledger peak RSS after the restart (VmHWM)".into(),
            after.map_or("n/a".into(), |s| mib(s.rss_peak_kib)),
        ));
    }

    fn counter_rows(&self, rows: &mut Vec<(String, String)>) {
        let c = &self.counters;
        if self.setup.tokens {
            let tokens = format!(
                "{} issued, {} not, {} sign-ins with a token, {} refused",
                c.tokens_issued, c.tokens_failed, c.sign_ins_with_token, c.tokens_refused
            );
            rows.push(("device tokens".into(), tokens));
        }
        let attempts = format!(
            "{} attempts, {} failed, {} refused, {} gave up",
            thousands(c.attempts),
            thousands(c.attempts_failed),
            thousands(c.refused),
            thousands(c.gave_up)
        );
        rows.push(("sign-in attempts".into(), attempts));
        let mut errors: Vec<(&String, &u64)> = c.errors.iter().collect();
        errors.sort_by(|a, b| b.1.cmp(a.1));
        let shown: Vec<String> =
            errors.iter().take(ERRORS_SHOWN_MAX).map(|(error, count)| format!("{count}× {}", cell(error))).collect();
        rows.push(("commonest errors".into(), if shown.is_empty() { "none".into() } else { shown.join("; ") }));
    }

    fn signed_in_value(&self, phase: &PhaseResult) -> String {
        let note = if phase.complete { "" } else { " (deadline passed)" };
        format!("{} / {}{note}", thousands(phase.signed_in), thousands(self.setup.devices))
    }

    fn live_update_value(&self) -> String {
        match &self.live_update {
            Ok(samples) if !samples.is_empty() => {
                let mut us: Vec<u64> = samples.iter().map(|d| d.as_micros() as u64).collect();
                us.sort_unstable();
                format!("{} / {} ms ({} samples)", ms(quantile(&us, 0.5)), ms(quantile(&us, 1.0)), us.len())
            }
            Ok(_) => "not measured (--samples 0)".into(),
            Err(why) => format!("failed: {}", cell(why)),
        }
    }
}

/// Nearest rank; `sorted` must be sorted and not empty.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn quantiles(sorted_us: &[u64]) -> String {
    if sorted_us.is_empty() {
        return "n/a".into();
    }
    let [p50, p99, max] = [0.5, 0.99, 1.0].map(|q| ms(quantile(sorted_us, q)));
    format!("{p50} / {p99} / {max} ms")
}

fn rate(phase: &PhaseResult) -> f64 {
    phase.signed_in as f64 / phase.elapsed.as_secs_f64().max(1e-9)
}

fn rate_text(per_sec: f64) -> String {
    if per_sec >= 100.0 { thousands(per_sec.round() as u64) } else { format!("{per_sec:.1}") }
}

fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms >= 100.0 { thousands(ms.round() as u64) } else { format!("{ms:.2}") }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn mib(kib: u64) -> String {
    let tenths = (kib as f64 / 102.4).round() as u64;
    format!("{}.{} MiB", thousands(tenths / 10), tenths % 10)
}

fn per_device_size(kib: f64) -> String {
    if kib.abs() >= 1024.0 { format!("{:.1} MiB", kib / 1024.0) } else { format!("{kib:.1} KiB") }
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Text that cannot break a Markdown table row.
fn cell(text: &str) -> String {
    text.replace('|', "/").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(19_000), "19,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(mib(16 * 1024), "16.0 MiB");
        assert_eq!(mib(3_300_000), "3,222.7 MiB");
        assert_eq!(ms(850), "0.85");
        assert_eq!(ms(1_234_000), "1,234");
        assert_eq!(per_device_size(16_384.0), "16.0 MiB");
        assert_eq!(rate_text(1810.6), "1,811");
        assert_eq!(rate_text(8.49), "8.5");
        assert_eq!(per_device_size(20.31), "20.3 KiB");
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&sorted, 0.5), 50);
        assert_eq!(quantile(&sorted, 0.99), 99);
        assert_eq!(quantile(&sorted, 1.0), 100);
        assert_eq!(quantile(&[7], 0.5), 7);
    }

    #[test]
    fn the_table_is_markdown_with_every_row() {
        let report = Report {
            setup: Setup {
                devices: 2,
                processes: 1,
                concurrency: 2,
                accounts: 5,
                keepalive_secs: 20,
                tokens: false,
                source_ips: 254,
                ledger_pid: Some(42),
            },
            connect: PhaseResult {
                signed_in: 2,
                complete: true,
                elapsed: Duration::from_secs(1),
                sign_in_us: vec![1000, 2000],
            },
            before: Some(ProcStatus { rss_kib: 1024, rss_peak_kib: 1024, threads: 5 }),
            after: Some(ProcStatus { rss_kib: 3072, rss_peak_kib: 4096, threads: 9 }),
            live_update: Ok(vec![Duration::from_micros(900)]),
            restart: Err("not asked for".into()),
            counters: Counters::default(),
        };
        let table = report.table();
        assert!(table.starts_with("| bank-load | |\n|---|---:|\n"), "{table}");
        assert!(table.lines().all(|line| line.starts_with('|') && line.ends_with('|')), "{table}");
        assert!(table.contains("| connect rate | 2.0 devices/s |"), "{table}");
        assert!(table.contains("| memory per device (ΔRSS / devices in) | 1.0 MiB |"), "{table}");
        assert!(
            table.contains("| live update 00001 → a watching 00002 device, p50 / max | 0.90 / 0.90 ms (1 samples) |")
        );
        assert!(report.all_in());
    }
}
