//! Failed logins, counted per username and per client address over a one-minute window.
//! Past a free allowance, each further attempt from that address or for that username
//! waits before its password is checked, twice as long each time up to a cap. A device
//! whose password is cached, or that signs in with its device token, never waits.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(60);
/// Failures in a window before attempts are delayed: room for typos and scripts.
pub const FAILURES_FREE: u32 = 100;
const DELAY_MIN: Duration = Duration::from_millis(250);
const DELAY_MAX: Duration = Duration::from_secs(8);
/// Addresses and usernames tracked; when full, the oldest windows are dropped first.
const KEYS_MAX: usize = 65_536;

#[derive(Default)]
pub struct Throttle {
    by_address: Mutex<Failures<IpAddr>>,
    by_username: Mutex<Failures<String>>,
}

impl Throttle {
    /// How long an attempt must wait before its password is checked.
    pub fn delay(&self, username: &str, address: Option<IpAddr>, now: Instant) -> Duration {
        let by_username = lock(&self.by_username).count(username, now);
        let by_address = address.map_or(0, |address| lock(&self.by_address).count(&address, now));
        delay_after(by_username.max(by_address))
    }

    pub fn failed(&self, username: &str, address: Option<IpAddr>, now: Instant) {
        lock(&self.by_username).add(username.to_string(), now);
        if let Some(address) = address {
            lock(&self.by_address).add(address, now);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 0 for the first [`FAILURES_FREE`], then 250 ms doubling to 8 s.
fn delay_after(failures: u32) -> Duration {
    match failures.checked_sub(FAILURES_FREE) {
        None => Duration::ZERO,
        Some(excess) => DELAY_MIN.saturating_mul(1 << excess.min(5)).min(DELAY_MAX),
    }
}

struct Window {
    started: Instant,
    failures: u32,
}

struct Failures<K> {
    windows: HashMap<K, Window>,
}

impl<K> Default for Failures<K> {
    fn default() -> Self {
        Failures { windows: HashMap::new() }
    }
}

impl<K: Hash + Eq + Clone> Failures<K> {
    fn count<Q: Hash + Eq + ?Sized>(&self, key: &Q, now: Instant) -> u32
    where
        K: std::borrow::Borrow<Q>,
    {
        self.windows.get(key).filter(|window| now.duration_since(window.started) < WINDOW).map_or(0, |w| w.failures)
    }

    fn add(&mut self, key: K, now: Instant) {
        if self.windows.len() >= KEYS_MAX && !self.windows.contains_key(&key) {
            self.windows.retain(|_, window| now.duration_since(window.started) < WINDOW);
        }
        if self.windows.len() >= KEYS_MAX && !self.windows.contains_key(&key) {
            // Every window is current: an attack from very many addresses. Forget the oldest.
            let oldest = self.windows.iter().min_by_key(|(_, window)| window.started).map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.windows.remove(&oldest);
            }
        }
        let window = self.windows.entry(key).or_insert(Window { started: now, failures: 0 });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window { started: now, failures: 0 };
        }
        window.failures = window.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_and_end_with_the_window() {
        let throttle = Throttle::default();
        let (attacker, other) = (Some("127.0.0.2".parse().unwrap()), Some("127.0.0.3".parse().unwrap()));
        let start = Instant::now();
        for _ in 0..FAILURES_FREE {
            assert_eq!(throttle.delay("00001", attacker, start), Duration::ZERO);
            throttle.failed("00001", attacker, start);
        }
        assert_eq!(throttle.delay("00001", attacker, start), DELAY_MIN, "the 101st is delayed");
        assert_eq!(throttle.delay("00002", attacker, start), DELAY_MIN, "per address");
        assert_eq!(throttle.delay("00001", other, start), DELAY_MIN, "per username");
        assert_eq!(throttle.delay("00002", other, start), Duration::ZERO);
        for _ in 0..10 {
            throttle.failed("00001", attacker, start);
        }
        assert_eq!(throttle.delay("00001", attacker, start), DELAY_MAX);
        assert_eq!(throttle.delay("00001", attacker, start + WINDOW), Duration::ZERO);
    }

    #[test]
    fn the_tables_stay_bounded() {
        let mut failures = Failures::default();
        let now = Instant::now();
        for key in 0..KEYS_MAX as u32 + 10 {
            failures.add(key, now);
        }
        assert_eq!(failures.windows.len(), KEYS_MAX);
    }
}
