//! Paces each device's publishes (GCRA, a token bucket in one timestamp): a burst goes
//! through at once, and past it a publish waits until the device is back under its rate.
//! rmqtt handles one connection's packets in order, so the wait slows only that device,
//! and TCP pushes back on it; every other device and the ledger go on as before.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Time one publish costs at the sustained rate.
    interval: Duration,
    /// How far ahead of the rate a device may run: the burst.
    tolerance: Duration,
}

impl Pace {
    /// `None` when `rate_per_s` is 0: no limit.
    pub fn new(rate_per_s: u32, burst: u32) -> Option<Pace> {
        let interval = Duration::from_secs(1).checked_div(rate_per_s)?;
        Some(Pace { interval, tolerance: interval.saturating_mul(burst.saturating_sub(1)) })
    }

    /// How long this publish must wait; `due` is the device's theoretical arrival time.
    pub fn wait(&self, due: &mut Option<Instant>, now: Instant) -> Duration {
        let arrival = due.map_or(now, |due| due.max(now));
        *due = Some(arrival + self.interval);
        arrival.saturating_duration_since(now).saturating_sub(self.tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_publishes_wait_their_turn() {
        let pace = Pace::new(10, 5).unwrap();
        let (mut due, now) = (None, Instant::now());
        for _ in 0..5 {
            assert_eq!(pace.wait(&mut due, now), Duration::ZERO);
        }
        assert_eq!(pace.wait(&mut due, now), Duration::from_millis(100));
        assert_eq!(pace.wait(&mut due, now), Duration::from_millis(200));
        let later = now + Duration::from_secs(10);
        assert_eq!(pace.wait(&mut due, later), Duration::ZERO, "the rate refills the burst");
        assert!(Pace::new(0, 5).is_none());
    }
}
