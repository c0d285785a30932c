//! The delay before the next reconnect: from `min`, doubling up to `max`, each one
//! jittered to between half and all of it, so clients that lost the broker together do
//! not all return in the same instant.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        assert!(min > Duration::ZERO && min <= max, "a backoff needs 0 < min <= max");
        Backoff { min, max, next: min }
    }

    /// After a successful connection: the next loss waits only `min` again.
    pub fn reset(&mut self) {
        self.next = self.min;
    }

    /// How long to wait now; the wait after it is twice as long, up to `max`.
    pub fn next_delay(&mut self) -> Duration {
        let delay = jittered(self.next);
        self.next = (self.next * 2).min(self.max);
        delay
    }
}

fn jittered(delay: Duration) -> Duration {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    let half_ms = (delay.as_millis() / 2) as u64;
    Duration::from_millis(half_ms + random % (half_ms + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_jittered_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let bounds_ms = [500, 1000, 2000, 4000, 4000];
        for bound in bounds_ms {
            let delay = backoff.next_delay().as_millis() as u64;
            assert!((bound / 2..=bound).contains(&delay), "{delay} ms for a {bound} ms step");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_within_half_to_full_delay() {
        for _ in 0..1000 {
            let delay = jittered(Duration::from_secs(8));
            assert!((Duration::from_secs(4)..=Duration::from_secs(8)).contains(&delay), "{delay:?}");
        }
    }
}
