//! Failed sign-ins per client address. Every hosted session reaches the broker from this
//! machine, so the broker's own per-address throttle sees one address for all browsers;
//! this one sees each phone's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Failures an address may have in a window before it must wait for the window to end.
pub const FAILURES_FREE: u32 = 10;
/// Addresses tracked; when full, the oldest windows are dropped first.
const ADDRESSES_MAX: usize = 65_536;

#[derive(Default)]
pub struct Throttle {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

struct Window {
    started: Instant,
    failures: u32,
}

impl Throttle {
    /// `Err(wait)` while the address has used up its failures.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(&address) {
            Some(window) if window.failures >= FAILURES_FREE && now < window.started + WINDOW => {
                Err(window.started + WINDOW - now)
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, address: IpAddr, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= ADDRESSES_MAX && !windows.contains_key(&address) {
            windows.retain(|_, window| now < window.started + WINDOW);
            if windows.len() >= ADDRESSES_MAX {
                let oldest = windows.iter().min_by_key(|(_, window)| window.started).map(|(address, _)| *address);
                oldest.map(|oldest| windows.remove(&oldest));
            }
        }
        let window = windows.entry(address).or_insert(Window { started: now, failures: 0 });
        if now >= window.started + WINDOW {
            *window = Window { started: now, failures: 0 };
        }
        window.failures += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_after_its_free_failures_and_others_do_not() {
        let throttle = Throttle::default();
        let (phone, other) = ("192.168.1.20".parse().unwrap(), "192.168.1.21".parse().unwrap());
        let start = Instant::now();
        for _ in 0..FAILURES_FREE {
            assert_eq!(throttle.check(phone, start), Ok(()));
            throttle.failed(phone, start);
        }
        let wait = throttle.check(phone, start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(throttle.check(other, start), Ok(()));
        assert_eq!(throttle.check(phone, start + WINDOW), Ok(()), "a new window starts afresh");
    }
}
