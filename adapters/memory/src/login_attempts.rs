//! [`LoginAttemptStore`] in memory: the three failure logs of [`LockoutPolicy`] per key.
//!
//! Logs are kept per username (with that username's pairs inside, so that clearing a username
//! touches one entry) and per client IP. A call drops the entries it left empty, and a periodic
//! sweep drops entries whose failures all fell out of their window.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use async_trait::async_trait;
use rampart_domain::lockout::{LockoutPolicy, LoginCounters, LoginGate, PairState};
use rampart_ports::{LoginAttemptStore, LoginKey, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::lock::lock;
use crate::sweep::SweepSchedule;

/// Failed-login counters kept in memory.
#[derive(Debug, Default)]
pub struct MemoryLoginAttempts {
    state: Mutex<LoginLogs>,
}

impl MemoryLoginAttempts {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Default)]
struct LoginLogs {
    usernames: HashMap<String, UsernameLogs>,
    client_ips: HashMap<IpAddr, VecDeque<OffsetDateTime>>,
    schedule: SweepSchedule,
}

/// The failures of one username from every IP, and its pair state per IP.
#[derive(Debug, Default)]
struct UsernameLogs {
    failures: VecDeque<OffsetDateTime>,
    pairs: HashMap<IpAddr, PairState>,
}

impl UsernameLogs {
    fn is_empty(&self) -> bool {
        self.failures.is_empty() && self.pairs.is_empty()
    }
}

/// Drops the entries of `log` at or before `horizon`, as the policy's own pruning does.
fn drop_through(log: &mut VecDeque<OffsetDateTime>, horizon: OffsetDateTime) {
    while log.front().is_some_and(|t| *t <= horizon) {
        log.pop_front();
    }
}

/// Returns whether a pair still affects the next attempt at `now`, pruning it on the way.
fn pair_is_live(pair: &mut PairState, policy: &LockoutPolicy, now: OffsetDateTime) -> bool {
    match pair.locked_until {
        // The next attempt after an expired lock starts the pair afresh.
        Some(until) => until > now,
        None => {
            drop_through(&mut pair.failures, now - policy.pair_window);
            !pair.failures.is_empty()
        }
    }
}

impl LoginLogs {
    /// Runs `step` on the counters of `key`, creating them when missing and dropping those it
    /// leaves empty.
    fn with_counters<T>(&mut self, key: &LoginKey, step: impl FnOnce(LoginCounters<'_>) -> T) -> T {
        let username = self.usernames.entry(key.username.clone()).or_default();
        let pair = username.pairs.entry(key.client_ip).or_default();
        let client_ip = self.client_ips.entry(key.client_ip).or_default();
        let result = step(LoginCounters {
            pair,
            username: &mut username.failures,
            client_ip,
        });
        self.drop_empty(key);
        result
    }

    fn drop_empty(&mut self, key: &LoginKey) {
        if let Some(username) = self.usernames.get_mut(&key.username) {
            if username
                .pairs
                .get(&key.client_ip)
                .is_some_and(|pair| *pair == PairState::default())
            {
                username.pairs.remove(&key.client_ip);
            }
            if username.is_empty() {
                self.usernames.remove(&key.username);
            }
        }
        if self
            .client_ips
            .get(&key.client_ip)
            .is_some_and(VecDeque::is_empty)
        {
            self.client_ips.remove(&key.client_ip);
        }
    }

    fn len(&self) -> usize {
        self.usernames.len() + self.client_ips.len()
    }

    fn sweep_if_due(&mut self, policy: &LockoutPolicy, now: OffsetDateTime) {
        if !self.schedule.is_due(self.len(), now) {
            return;
        }
        self.usernames.retain(|_, username| {
            drop_through(&mut username.failures, now - policy.username_window);
            username
                .pairs
                .retain(|_, pair| pair_is_live(pair, policy, now));
            !username.is_empty()
        });
        self.client_ips.retain(|_, log| {
            drop_through(log, now - policy.ip_window);
            !log.is_empty()
        });
        self.schedule.swept(self.len(), now);
    }
}

#[async_trait]
impl LoginAttemptStore for MemoryLoginAttempts {
    #[instrument(level = "debug", skip_all)]
    async fn admit(
        &self,
        key: &LoginKey,
        policy: &LockoutPolicy,
        now: OffsetDateTime,
    ) -> Result<LoginGate, StoreError> {
        let mut logs = lock(&self.state)?;
        logs.sweep_if_due(policy, now);
        Ok(logs.with_counters(key, |counters| policy.admit(counters, now)))
    }

    #[instrument(level = "debug", skip_all)]
    async fn succeed(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError> {
        let mut logs = lock(&self.state)?;
        logs.with_counters(key, |counters| policy.succeed(counters));
        Ok(())
    }

    #[instrument(level = "debug", skip_all)]
    async fn release(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError> {
        let mut logs = lock(&self.state)?;
        logs.with_counters(key, |counters| policy.release(counters));
        Ok(())
    }

    #[instrument(level = "debug", skip_all)]
    async fn clear(&self, username: &str) -> Result<(), StoreError> {
        lock(&self.state)?.usernames.remove(username);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use time::Duration;

    use super::*;
    use crate::sweep::MIN_SWEEP_LEN;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn key(n: u32) -> LoginKey {
        LoginKey {
            username: format!("user{n}"),
            client_ip: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)),
        }
    }

    #[tokio::test]
    async fn flood_of_keys_stays_bounded() {
        let store = MemoryLoginAttempts::new();
        let second = Duration::SECOND;
        let policy = LockoutPolicy {
            pair_window: second,
            lock_duration: second,
            username_window: second,
            ip_window: second,
            ..LockoutPolicy::default()
        };

        // One new username and IP per millisecond, so about 2000 entries are live at any time.
        let mut peak = 0;
        for n in 0..20_000 {
            let now = T0 + Duration::milliseconds(i64::from(n));
            store.admit(&key(n), &policy, now).await.unwrap();
            peak = peak.max(lock(&store.state).unwrap().len());
        }

        assert!(peak <= 4 * MIN_SWEEP_LEN, "map grew to {peak} entries");
    }

    #[tokio::test]
    async fn idle_entries_are_swept_after_windows() {
        let store = MemoryLoginAttempts::new();
        let policy = LockoutPolicy::default();
        for n in 0..100 {
            store.admit(&key(n), &policy, T0).await.unwrap();
        }

        let later = T0 + policy.ip_window + Duration::SECOND;
        store.admit(&key(9999), &policy, later).await.unwrap();

        let entries = lock(&store.state).unwrap().len();
        assert_eq!(entries, 2, "only the last username and IP stay");
    }

    #[tokio::test]
    async fn rejected_attempt_leaves_no_empty_entries() {
        let store = MemoryLoginAttempts::new();
        let policy = LockoutPolicy {
            ip_limit: 0,
            ..LockoutPolicy::default()
        };

        let gate = store.admit(&key(1), &policy, T0).await.unwrap();

        assert!(matches!(gate, LoginGate::Throttled { .. }), "{gate:?}");
        assert_eq!(lock(&store.state).unwrap().len(), 0);
    }

    #[tokio::test]
    async fn success_without_attempt_stores_nothing() {
        let store = MemoryLoginAttempts::new();

        store
            .succeed(&key(1), &LockoutPolicy::default())
            .await
            .unwrap();

        assert_eq!(lock(&store.state).unwrap().len(), 0);
    }
}
