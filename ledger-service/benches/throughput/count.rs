//! Messages per transfer as the broker carried them: an operator subscribed to `bank/#`
//! receives one copy of every message anyone published under `bank/` (requests, results,
//! balance updates, the feed), so its count is the broker's, the same way on both brokers.
//! (Mosquitto's `$SYS` counters would do for Mosquitto only, and the operator may not read
//! them.) The subscriber costs the broker one extra delivery per message, so it counts
//! during the echo run too.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::harness::Client;

/// No message for this long means the broker has delivered everything.
const QUIET: Duration = Duration::from_millis(500);

pub struct Counter {
    operator: Client,
}

pub struct Counted {
    transfers: usize,
    by_kind: BTreeMap<&'static str, usize>,
}

impl Counter {
    /// Subscribes `operator` and skips the retained messages replayed on subscribe.
    pub async fn start(operator: Client) -> Counter {
        operator.subscribe("bank/#").await;
        while operator.next(QUIET).await.is_some() {}
        Counter { operator }
    }

    pub async fn finish(self, transfers: usize) -> Counted {
        let mut by_kind = BTreeMap::new();
        while let Some(publish) = self.operator.next(QUIET).await {
            *by_kind.entry(kind(&publish.topic)).or_insert(0) += 1;
        }
        Counted { transfers, by_kind }
    }
}

impl Counted {
    pub fn per_transfer(&self) -> String {
        let total: usize = self.by_kind.values().sum();
        let per = |count: usize| count as f64 / self.transfers as f64;
        let kinds: Vec<String> =
            self.by_kind.iter().map(|(kind, count)| format!("{kind} {:.3}", per(*count))).collect();
        format!("**{:.3}** ({})", per(total), kinds.join(", "))
    }
}

fn kind(topic: &str) -> &'static str {
    match topic {
        t if t.starts_with("bank/transfer/request/") => "request",
        t if t.starts_with("bank/transfer/result/") => "result",
        t if t.starts_with("bank/balanceUpdate/") => "balance",
        "bank/ledger/transfers" => "feed",
        _ => "other",
    }
}
