//! What the parent and its worker processes tell each other: one JSON object per line,
//! commands on the worker's stdin, reports on its stdout (its stderr is the user's).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Distinct error messages a worker keeps count of; the rest are lumped together.
pub const ERROR_KINDS_MAX: usize = 16;

/// Everything a worker needs, passed as one hidden argument.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerConfig {
    pub target: SocketAddr,
    pub fleet_id: u16,
    /// This worker's devices are `first_index .. first_index + devices`.
    pub first_index: u64,
    pub devices: u64,
    pub accounts: u32,
    pub password: String,
    pub keepalive_secs: u16,
    /// Sign-ins this worker runs at once during the first connect.
    pub concurrency: usize,
    pub source_ips: u8,
    pub tokens: bool,
    pub retry_min_ms: u64,
    pub retry_max_ms: u64,
    /// A device that has not got back in this long after losing its connection gives up.
    pub retry_deadline_secs: u64,
    /// How long a device waits for CONNACK, SUBACK, the retained balance and its token.
    pub reply_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The first sign-in of every device.
    Connect,
    /// Getting back in after the ledger restarted.
    Reconnect,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    Go,
    /// Count sign-ins from here on as the reconnect phase.
    Mark {
        generation: u32,
    },
    Quit,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToParent {
    Hello {
        devices: u64,
        nofile_soft: u64,
    },
    Status {
        counters: Counters,
    },
    Marked {
        generation: u32,
    },
    /// Every device of this worker is in (or gave up); one sign-in time per device that got in.
    Done {
        phase: Phase,
        sign_in_us: Vec<u64>,
        counters: Counters,
    },
}

/// Running totals of one worker, or of the fleet when added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub attempts: u64,
    pub attempts_failed: u64,
    /// CONNACKs with a non-zero return code.
    pub refused: u64,
    pub connected_now: u64,
    /// Devices that got in with their retained balance at least once.
    pub ready: u64,
    /// Devices that got in during the current phase (since the last mark).
    pub in_phase: u64,
    pub lost: u64,
    pub gave_up: u64,
    pub tokens_issued: u64,
    pub tokens_failed: u64,
    /// Sign-ins where the broker refused a token, so the device fell back to its password.
    pub tokens_refused: u64,
    pub sign_ins_with_token: u64,
    pub errors: BTreeMap<String, u64>,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.attempts += other.attempts;
        self.attempts_failed += other.attempts_failed;
        self.refused += other.refused;
        self.connected_now += other.connected_now;
        self.ready += other.ready;
        self.in_phase += other.in_phase;
        self.lost += other.lost;
        self.gave_up += other.gave_up;
        self.tokens_issued += other.tokens_issued;
        self.tokens_failed += other.tokens_failed;
        self.tokens_refused += other.tokens_refused;
        self.sign_ins_with_token += other.sign_ins_with_token;
        for (error, count) in &other.errors {
            self.count_error(error, *count);
        }
    }

    /// Bounded: after [`ERROR_KINDS_MAX`] kinds, new ones count as "other".
    pub fn count_error(&mut self, error: &str, count: u64) {
        let key = if self.errors.len() < ERROR_KINDS_MAX || self.errors.contains_key(error) {
            error.to_string()
        } else {
            "other".to_string()
        };
        *self.errors.entry(key).or_default() += count;
    }
}

pub fn line<T: Serialize>(message: &T) -> String {
    let mut line = serde_json::to_string(message).expect("wire messages always serialise");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_a_round_trip_as_one_line() {
        let mut counters = Counters { ready: 3, ..Counters::default() };
        counters.count_error("connection refused", 2);
        let done = ToParent::Done { phase: Phase::Reconnect, sign_in_us: vec![1, 2], counters };
        let text = line(&done);
        assert_eq!(text.matches('\n').count(), 1);
        let back: ToParent = serde_json::from_str(&text).unwrap();
        let ToParent::Done { phase, sign_in_us, counters } = back else { panic!("{text}") };
        assert_eq!((phase, sign_in_us, counters.ready), (Phase::Reconnect, vec![1, 2], 3));
        let mark: ToWorker = serde_json::from_str(r#"{"type":"mark","generation":2}"#).unwrap();
        assert!(matches!(mark, ToWorker::Mark { generation: 2 }));
    }

    #[test]
    fn error_kinds_are_bounded() {
        let mut counters = Counters::default();
        for kind in 0..ERROR_KINDS_MAX + 5 {
            counters.count_error(&format!("error {kind}"), 1);
        }
        counters.count_error("error 0", 1);
        assert_eq!(counters.errors.len(), ERROR_KINDS_MAX + 1);
        assert_eq!(counters.errors["other"], 5);
        assert_eq!(counters.errors["error 0"], 2);
    }
}
