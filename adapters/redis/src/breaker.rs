//! Failing fast while Redis is down.
//!
//! While no connection can be made, bb8 makes every caller wait its whole connection timeout
//! before it reports the failure. After one call finds Redis down, the breaker fails the calls
//! of the next [`RETRY_INTERVAL`] at once, then lets a single call through to try again. A call
//! that succeeds closes the breaker, so the stores recover by themselves when Redis returns.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after a failure calls fail without trying Redis.
pub(crate) const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The open-until time of the breaker, `None` while closed.
#[derive(Debug, Default)]
pub(crate) struct Breaker {
    open_until: Mutex<Option<Instant>>,
}

/// The breaker is open: Redis failed a moment ago.
#[derive(Debug, thiserror::Error)]
#[error("Redis failed a moment ago; the next attempt is in {retry_in:?}")]
pub(crate) struct BreakerOpen {
    pub(crate) retry_in: Duration,
}

impl Breaker {
    /// Lets a call through while closed, or as the single trial call once the open interval has
    /// passed (which keeps it open for the others).
    pub(crate) fn admit(&self) -> Result<(), BreakerOpen> {
        let Ok(mut open_until) = self.open_until.lock() else {
            // A panic while holding this lock left no half-written state: a time or `None`.
            return Ok(());
        };
        let now = Instant::now();
        match *open_until {
            None => Ok(()),
            Some(until) if now >= until => {
                *open_until = Some(now + RETRY_INTERVAL);
                Ok(())
            }
            Some(until) => Err(BreakerOpen {
                retry_in: until - now,
            }),
        }
    }

    /// Records a call that reached Redis.
    pub(crate) fn succeeded(&self) {
        if let Ok(mut open_until) = self.open_until.lock()
            && open_until.is_some()
        {
            *open_until = None;
            tracing::info!("Redis is reachable again");
        }
    }

    /// Records a call that found Redis down.
    pub(crate) fn failed(&self) {
        if let Ok(mut open_until) = self.open_until.lock() {
            *open_until = Some(Instant::now() + RETRY_INTERVAL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_breaker_admits() {
        let breaker = Breaker::default();

        assert!(breaker.admit().is_ok());
    }

    #[test]
    fn failure_opens_breaker() {
        let breaker = Breaker::default();

        breaker.failed();

        let open = breaker.admit().unwrap_err();
        assert!(open.retry_in <= RETRY_INTERVAL);
    }

    #[test]
    fn success_closes_breaker() {
        let breaker = Breaker::default();
        breaker.failed();

        breaker.succeeded();

        assert!(breaker.admit().is_ok());
    }
}
