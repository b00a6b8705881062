//! [`RateLimitStore`] in memory: one [`SlidingLog`] per key, at most 129 slots each.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use rampart_domain::throttle::{RateDecision, SlidingLog};
use rampart_ports::{RateCheck, RateLimitStore, StoreError};
use time::{Duration, OffsetDateTime};
use tracing::instrument;

use crate::lock::lock;
use crate::sweep::SweepSchedule;

/// Sliding-window rate-limit logs kept in memory.
#[derive(Debug, Default)]
pub struct MemoryRateLimits {
    state: Mutex<RateLogs>,
}

impl MemoryRateLimits {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Default)]
struct RateLogs {
    keys: HashMap<String, KeyLog>,
    schedule: SweepSchedule,
}

/// The accepted requests of one key, oldest first.
#[derive(Debug)]
struct KeyLog {
    requests: SlidingLog,
    /// The widest window any check used on this key; the sweep keeps the key this long.
    window: Duration,
}

impl RateLogs {
    fn sweep_if_due(&mut self, now: OffsetDateTime) {
        if !self.schedule.is_due(self.keys.len(), now) {
            return;
        }
        self.keys.retain(|_, log| {
            let horizon = now - log.window;
            log.requests.newest().is_some_and(|newest| newest > horizon)
        });
        self.schedule.swept(self.keys.len(), now);
    }

    fn admit(&mut self, checks: &[RateCheck], now: OffsetDateTime) -> Vec<RateDecision> {
        let mut decisions = Vec::with_capacity(checks.len());
        for check in checks {
            // Looking up first spares the copy of the key that `entry` takes, on every request
            // to a key already counted.
            let log = match self.keys.get_mut(&check.key) {
                Some(log) => log,
                None => self
                    .keys
                    .entry(check.key.clone())
                    .or_insert_with(|| KeyLog {
                        requests: SlidingLog::new(),
                        window: check.limit.window,
                    }),
            };
            log.window = log.window.max(check.limit.window);
            decisions.push(check.limit.admit(&mut log.requests, now));
        }

        if decisions.iter().all(|decision| decision.allowed) {
            // Each log counted this request, so none is empty.
            return decisions;
        }

        // Every allowed check counted `now` as the newest request of its key's log. Taking back
        // in reverse order removes exactly those, also when one key appears in several checks.
        for (check, decision) in checks.iter().zip(&decisions).rev() {
            if decision.allowed
                && let Some(log) = self.keys.get_mut(&check.key)
            {
                log.requests.take_back_newest();
            }
        }
        for check in checks {
            if self
                .keys
                .get(&check.key)
                .is_some_and(|log| log.requests.is_empty())
            {
                self.keys.remove(&check.key);
            }
        }
        decisions
    }
}

#[async_trait]
impl RateLimitStore for MemoryRateLimits {
    #[instrument(level = "debug", skip_all, fields(checks = checks.len()))]
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError> {
        let mut logs = lock(&self.state)?;
        logs.sweep_if_due(now);
        Ok(logs.admit(checks, now))
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::throttle::{RateLimit, limits};

    use super::*;
    use crate::sweep::MIN_SWEEP_LEN;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn check(key: String) -> RateCheck {
        RateCheck {
            key,
            limit: limits::IP,
        }
    }

    #[tokio::test]
    async fn flood_of_keys_stays_bounded() {
        let store = MemoryRateLimits::new();
        let limit = RateLimit {
            limit: 10,
            window: Duration::seconds(1),
        };

        // One new key per millisecond, so about 1000 keys are inside their window at any time.
        let mut peak = 0;
        for n in 0..20_000_u16 {
            let now = T0 + Duration::milliseconds(i64::from(n));
            let check = RateCheck {
                key: format!("ip:{n}"),
                limit,
            };
            store.admit(&[check], now).await.unwrap();
            peak = peak.max(lock(&store.state).unwrap().keys.len());
        }

        assert!(peak <= 2 * MIN_SWEEP_LEN, "map grew to {peak} keys");
    }

    #[tokio::test]
    async fn idle_keys_are_swept_after_window() {
        let store = MemoryRateLimits::new();
        for n in 0..100 {
            store.admit(&[check(format!("ip:{n}"))], T0).await.unwrap();
        }

        let later = T0 + limits::IP.window;
        store
            .admit(&[check("ip:last".into())], later)
            .await
            .unwrap();

        assert_eq!(lock(&store.state).unwrap().keys.len(), 1);
    }

    #[tokio::test]
    async fn repeated_key_in_rejected_request_rolls_back() {
        let store = MemoryRateLimits::new();
        let key = "user:1".to_owned();
        let closed = RateCheck {
            key: "closed".into(),
            limit: RateLimit {
                limit: 0,
                window: Duration::minutes(1),
            },
        };

        let decisions = store
            .admit(&[check(key.clone()), check(key.clone()), closed], T0)
            .await
            .unwrap();

        assert!(!decisions[2].allowed);
        let logs = lock(&store.state).unwrap();
        assert!(!logs.keys.contains_key(&key), "rolled-back key kept");
        assert!(!logs.keys.contains_key("closed"), "empty key kept");
    }
}
