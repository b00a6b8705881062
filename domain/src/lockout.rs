//! Login lockout: per-pair locks, a per-username progressive delay and a per-IP failure limit.
//!
//! Three failure logs guard each login attempt, all pruned to their window at `now`:
//!
//! ```text
//!   pair (username, client IP)  5 failures in 15 min  -> locked for 15 min
//!   username, all IPs          20 failures in 15 min  -> next attempt only 1, 3, 5, then 10 s
//!                                                        after the last failure
//!   client IP, all usernames    5 failures per hour   -> throttled
//! ```
//!
//! An attempt is counted as a failure *before* its password is checked ([`LockoutPolicy::admit`])
//! and the count is taken back when the password turns out right ([`LockoutPolicy::succeed`]),
//! or when the check did not complete, such as a full hashing queue ([`LockoutPolicy::release`]).
//! Counting first is what keeps concurrent guesses from slipping past the limit: when the check
//! and the count are one atomic step in the store, 100 concurrent wrong attempts on one pair let
//! at most 5 reach password verification.
//!
//! A pair locks when its fifth failure is counted, so the sixth attempt is rejected with the
//! right password as well. A success clears only its own pair, never other IPs' counters, so an
//! attacker elsewhere cannot lock a user out and the user cannot unlock the attacker. The
//! username-wide limit only slows attempts down and never locks.

use std::collections::VecDeque;

use time::{Duration, OffsetDateTime};

/// Failure counts and lock of one (username, client IP) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairState {
    pub failures: VecDeque<OffsetDateTime>,
    pub locked_until: Option<OffsetDateTime>,
}

/// The three failure logs that guard one attempt, borrowed from the store.
#[derive(Debug)]
pub struct LoginCounters<'a> {
    pub pair: &'a mut PairState,
    pub username: &'a mut VecDeque<OffsetDateTime>,
    pub client_ip: &'a mut VecDeque<OffsetDateTime>,
}

/// Whether a login attempt may go on to password verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Verify the password. `locks_on_failure` is true when this attempt was the one that
    /// reached the pair's limit, so a wrong password now means the pair is locked.
    Proceed { locks_on_failure: bool },
    /// The pair is locked, for the right and the wrong password alike.
    Locked { retry_after: Duration },
    /// The username is under the progressive delay and this attempt came too soon.
    Delayed { retry_after: Duration },
    /// The client IP reached its limit of failed logins.
    Throttled { retry_after: Duration },
}

/// The numbers of the lockout policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub pair_limit: usize,
    pub pair_window: Duration,
    pub lock_duration: Duration,
    pub delay_threshold: usize,
    pub username_window: Duration,
    pub delays: [Duration; 4],
    pub ip_limit: usize,
    pub ip_window: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            pair_limit: 5,
            pair_window: Duration::minutes(15),
            lock_duration: Duration::minutes(15),
            delay_threshold: 20,
            username_window: Duration::minutes(15),
            delays: [
                Duration::seconds(1),
                Duration::seconds(3),
                Duration::seconds(5),
                Duration::seconds(10),
            ],
            ip_limit: 5,
            ip_window: Duration::hours(1),
        }
    }
}

fn prune(log: &mut VecDeque<OffsetDateTime>, window: Duration, now: OffsetDateTime) {
    let horizon = now - window;
    while log.front().is_some_and(|t| *t <= horizon) {
        log.pop_front();
    }
}

impl LockoutPolicy {
    /// Decides whether an attempt at `now` may verify its password, and when it may, counts it
    /// as a failure in all three logs.
    ///
    /// The store must run this and write the counters back as one atomic step.
    pub fn admit(&self, counters: LoginCounters<'_>, now: OffsetDateTime) -> LoginGate {
        let LoginCounters {
            pair,
            username,
            client_ip,
        } = counters;

        match pair.locked_until {
            Some(until) if until > now => {
                return LoginGate::Locked {
                    retry_after: until - now,
                };
            }
            Some(_) => *pair = PairState::default(),
            None => {}
        }
        prune(&mut pair.failures, self.pair_window, now);

        prune(client_ip, self.ip_window, now);
        if client_ip.len() >= self.ip_limit {
            let oldest = client_ip.front().copied().unwrap_or(now);
            return LoginGate::Throttled {
                retry_after: (oldest + self.ip_window - now).max(Duration::SECOND),
            };
        }

        prune(username, self.username_window, now);
        if let Some(over) = username.len().checked_sub(self.delay_threshold) {
            let delay = self
                .delays
                .get(over)
                .or(self.delays.last())
                .copied()
                .unwrap_or(Duration::ZERO);
            let last = username.back().copied().unwrap_or(now);
            if now < last + delay {
                return LoginGate::Delayed {
                    retry_after: (last + delay - now).max(Duration::SECOND),
                };
            }
        }

        pair.failures.push_back(now);
        username.push_back(now);
        client_ip.push_back(now);
        let locks_on_failure = pair.failures.len() >= self.pair_limit;
        if locks_on_failure {
            pair.locked_until = Some(now + self.lock_duration);
        }
        LoginGate::Proceed { locks_on_failure }
    }

    /// Takes back the failure counted by [`admit`](Self::admit) after the password was right:
    /// clears the pair, and removes one entry from the username and client IP logs.
    pub fn succeed(&self, counters: LoginCounters<'_>) {
        *counters.pair = PairState::default();
        counters.username.pop_back();
        counters.client_ip.pop_back();
    }

    /// Takes back the failure counted by [`admit`](Self::admit) when the password could not be
    /// checked: removes the newest entry of the pair, username and client IP logs, and clears
    /// the pair's lock when that entry set it.
    ///
    /// The entry that reached the pair limit set a lock ending `lock_duration` after it, so a
    /// lock with any other end was set earlier and stays.
    pub fn release(&self, counters: LoginCounters<'_>) {
        let LoginCounters {
            pair,
            username,
            client_ip,
        } = counters;
        let newest = pair.failures.pop_back();
        if let (Some(failed_at), Some(until)) = (newest, pair.locked_until)
            && until == failed_at + self.lock_duration
        {
            pair.locked_until = None;
        }
        username.pop_back();
        client_ip.pop_back();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Default)]
    struct Logs {
        pair: PairState,
        username: VecDeque<OffsetDateTime>,
        client_ip: VecDeque<OffsetDateTime>,
    }

    impl Logs {
        fn counters(&mut self) -> LoginCounters<'_> {
            LoginCounters {
                pair: &mut self.pair,
                username: &mut self.username,
                client_ip: &mut self.client_ip,
            }
        }
    }

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[test]
    fn fifth_failure_locks_pair() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();

        let gates: Vec<_> = (0..5)
            .map(|i| policy.admit(logs.counters(), T0 + Duration::seconds(i)))
            .collect();

        assert_eq!(
            gates[3],
            LoginGate::Proceed {
                locks_on_failure: false
            }
        );
        assert_eq!(
            gates[4],
            LoginGate::Proceed {
                locks_on_failure: true
            }
        );
    }

    #[test]
    fn sixth_attempt_is_locked_for_fifteen_minutes() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for _ in 0..5 {
            policy.admit(logs.counters(), T0);
        }

        let gate = policy.admit(logs.counters(), T0 + Duration::seconds(1));

        assert_eq!(
            gate,
            LoginGate::Locked {
                retry_after: Duration::seconds(899)
            }
        );
    }

    #[test]
    fn lock_expires_after_fifteen_minutes() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for _ in 0..5 {
            policy.admit(logs.counters(), T0);
        }
        // The client IP's own limit (5 per hour) would still apply: test the pair alone.
        logs.client_ip.clear();

        let gate = policy.admit(logs.counters(), T0 + Duration::minutes(15));

        assert_eq!(
            gate,
            LoginGate::Proceed {
                locks_on_failure: false
            }
        );
    }

    #[test]
    fn success_clears_pair_before_lock() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for _ in 0..4 {
            policy.admit(logs.counters(), T0);
        }
        policy.admit(logs.counters(), T0);

        policy.succeed(logs.counters());

        assert_eq!(logs.pair, PairState::default());
        assert_eq!(logs.client_ip.len(), 4);
    }

    #[test]
    fn release_takes_back_one_failure() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for _ in 0..3 {
            policy.admit(logs.counters(), T0);
        }

        policy.release(logs.counters());

        assert_eq!(logs.pair.failures.len(), 2);
        assert_eq!(logs.username.len(), 2);
        assert_eq!(logs.client_ip.len(), 2);
        assert_eq!(logs.pair.locked_until, None);
    }

    #[test]
    fn release_clears_lock_it_set() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for second in 0..5 {
            policy.admit(logs.counters(), T0 + Duration::seconds(second));
        }

        policy.release(logs.counters());
        logs.client_ip.clear();
        let next = policy.admit(logs.counters(), T0 + Duration::seconds(5));

        assert_eq!(
            next,
            LoginGate::Proceed {
                locks_on_failure: true
            }
        );
    }

    #[test]
    fn release_keeps_earlier_lock() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        let earlier_lock = T0 + policy.lock_duration;
        logs.pair.failures.extend([T0, T0 + Duration::seconds(30)]);
        logs.pair.locked_until = Some(earlier_lock);

        policy.release(logs.counters());

        assert_eq!(logs.pair.locked_until, Some(earlier_lock));
        assert_eq!(logs.pair.failures.len(), 1);
    }

    #[test]
    fn five_releases_never_lock_pair() {
        let policy = LockoutPolicy::default();
        let mut logs = Logs::default();
        for second in 0..10 {
            let now = T0 + Duration::seconds(second);
            let gate = policy.admit(logs.counters(), now);
            assert!(matches!(gate, LoginGate::Proceed { .. }), "{gate:?}");
            policy.release(logs.counters());
        }

        let gate = policy.admit(logs.counters(), T0 + Duration::seconds(10));

        assert_eq!(
            gate,
            LoginGate::Proceed {
                locks_on_failure: false
            }
        );
    }

    #[test]
    fn ip_limit_throttles_other_usernames() {
        let policy = LockoutPolicy::default();
        let mut ip_log = VecDeque::new();
        for _ in 0..5 {
            let mut pair = PairState::default();
            let mut username = VecDeque::new();
            policy.admit(
                LoginCounters {
                    pair: &mut pair,
                    username: &mut username,
                    client_ip: &mut ip_log,
                },
                T0,
            );
        }
        let mut pair = PairState::default();
        let mut username = VecDeque::new();

        let gate = policy.admit(
            LoginCounters {
                pair: &mut pair,
                username: &mut username,
                client_ip: &mut ip_log,
            },
            T0,
        );

        assert_eq!(
            gate,
            LoginGate::Throttled {
                retry_after: Duration::hours(1)
            }
        );
    }

    #[test]
    fn twenty_failures_start_progressive_delay() {
        let policy = LockoutPolicy::default();
        let mut username = VecDeque::new();
        for _ in 0..20 {
            let mut pair = PairState::default();
            let mut ip = VecDeque::new();
            policy.admit(
                LoginCounters {
                    pair: &mut pair,
                    username: &mut username,
                    client_ip: &mut ip,
                },
                T0,
            );
        }
        let mut fresh_pair = PairState::default();
        let mut fresh_ip = VecDeque::new();

        let too_soon = policy.admit(
            LoginCounters {
                pair: &mut fresh_pair,
                username: &mut username,
                client_ip: &mut fresh_ip,
            },
            T0,
        );
        let after_delay = policy.admit(
            LoginCounters {
                pair: &mut fresh_pair,
                username: &mut username,
                client_ip: &mut fresh_ip,
            },
            T0 + Duration::seconds(1),
        );
        let second_too_soon = policy.admit(
            LoginCounters {
                pair: &mut fresh_pair,
                username: &mut username,
                client_ip: &mut fresh_ip,
            },
            T0 + Duration::seconds(3),
        );

        assert_eq!(
            too_soon,
            LoginGate::Delayed {
                retry_after: Duration::seconds(1)
            }
        );
        assert_eq!(
            after_delay,
            LoginGate::Proceed {
                locks_on_failure: false
            }
        );
        assert_eq!(
            second_too_soon,
            LoginGate::Delayed {
                retry_after: Duration::seconds(1)
            }
        );
    }

    #[test]
    fn delay_never_exceeds_ten_seconds() {
        let policy = LockoutPolicy::default();
        let mut username = VecDeque::new();
        let mut now = T0;
        for _ in 0..30 {
            let mut pair = PairState::default();
            let mut ip = VecDeque::new();
            policy.admit(
                LoginCounters {
                    pair: &mut pair,
                    username: &mut username,
                    client_ip: &mut ip,
                },
                now,
            );
            now += Duration::seconds(10);
        }
        let mut pair = PairState::default();
        let mut ip = VecDeque::new();

        let gate = policy.admit(
            LoginCounters {
                pair: &mut pair,
                username: &mut username,
                client_ip: &mut ip,
            },
            now,
        );

        assert_eq!(
            gate,
            LoginGate::Proceed {
                locks_on_failure: false
            }
        );
    }

    proptest! {
        #[test]
        fn pair_never_admits_more_than_five(offsets in proptest::collection::vec(0i64..60, 1..100)) {
            let policy = LockoutPolicy::default();
            let mut logs = Logs::default();
            let mut sorted = offsets;
            sorted.sort_unstable();

            let admitted = sorted
                .iter()
                .filter(|s| matches!(policy.admit(logs.counters(), T0 + Duration::seconds(**s)), LoginGate::Proceed { .. }))
                .count();

            prop_assert!(admitted <= 5);
        }
    }
}
