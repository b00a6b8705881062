//! Auto-block: an address that keeps attacking is blocked for a while.
//!
//! Each attack is recorded in a sliding-window counter of the address ([`RateLimit`] with the
//! threshold as its limit). The attack that fills the window blocks the address, so with the
//! defaults the tenth attack within 10 minutes blocks it for an hour and the eleventh request
//! finds it blocked:
//!
//! ```text
//!   attacks in window after this one < threshold  -> Counted
//!   attacks in window after this one = threshold  -> Block until now + duration
//!   window already full (block lifted early)      -> Block until now + duration
//! ```

use time::{Duration, OffsetDateTime};

use crate::throttle::{RateDecision, RateLimit};

/// Security events of one kind repeated for one address: at most one per minute is written, so
/// a blocked client hammering the service cannot flood the security log.
pub const REPEAT_EVENTS: RateLimit = RateLimit {
    limit: 1,
    window: Duration::minutes(1),
};

/// The numbers of the auto-block rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoBlockPolicy {
    /// Attacks within `window` that block the address.
    pub threshold: u32,
    pub window: Duration,
    /// How long the block lasts.
    pub duration: Duration,
}

impl Default for AutoBlockPolicy {
    fn default() -> Self {
        Self {
            threshold: 10,
            window: Duration::minutes(10),
            duration: Duration::hours(1),
        }
    }
}

/// The outcome of one more attack for its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackVerdict {
    /// Counted; `remaining` more attacks within the window block the address.
    Counted { remaining: u32 },
    /// Block the address until `until`.
    Block { until: OffsetDateTime },
}

impl AutoBlockPolicy {
    /// Returns the sliding-window limit that counts attacks of one address.
    pub fn counter(&self) -> RateLimit {
        RateLimit {
            limit: self.threshold,
            window: self.window,
        }
    }

    /// Judges an attack at `now` from the decision of [`counter`](Self::counter) on the
    /// address's attack log.
    pub fn judge(&self, counted: &RateDecision, now: OffsetDateTime) -> AttackVerdict {
        if counted.allowed && counted.remaining > 0 {
            return AttackVerdict::Counted {
                remaining: counted.remaining,
            };
        }
        AttackVerdict::Block {
            until: now + self.duration,
        }
    }
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;
    use crate::throttle::SlidingLog;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn attack(
        policy: &AutoBlockPolicy,
        log: &mut SlidingLog,
        now: OffsetDateTime,
    ) -> AttackVerdict {
        let decision = policy.counter().admit(log, now);
        policy.judge(&decision, now)
    }

    #[test]
    fn tenth_attack_blocks_for_an_hour() {
        let policy = AutoBlockPolicy::default();
        let mut log = SlidingLog::new();

        let verdicts: Vec<_> = (0..10)
            .map(|i| attack(&policy, &mut log, T0 + Duration::seconds(i)))
            .collect();

        assert_eq!(verdicts[0], AttackVerdict::Counted { remaining: 9 });
        assert_eq!(verdicts[8], AttackVerdict::Counted { remaining: 1 });
        assert_eq!(
            verdicts[9],
            AttackVerdict::Block {
                until: T0 + Duration::seconds(9) + Duration::hours(1)
            }
        );
    }

    #[test]
    fn attacks_spread_over_window_never_block() {
        let policy = AutoBlockPolicy::default();
        let mut log = SlidingLog::new();

        let verdicts: Vec<_> = (0..30)
            .map(|i| attack(&policy, &mut log, T0 + Duration::minutes(i * 2)))
            .collect();

        assert!(
            verdicts
                .iter()
                .all(|v| matches!(v, AttackVerdict::Counted { .. }))
        );
    }

    #[test]
    fn full_window_blocks_again() {
        let policy = AutoBlockPolicy::default();
        let mut log = SlidingLog::new();
        for _ in 0..10 {
            attack(&policy, &mut log, T0);
        }

        let verdict = attack(&policy, &mut log, T0 + Duration::minutes(1));

        assert_eq!(
            verdict,
            AttackVerdict::Block {
                until: T0 + Duration::minutes(61)
            }
        );
    }

    proptest! {
        #[test]
        fn block_needs_threshold_in_window(gaps in proptest::collection::vec(0i64..200, 1..60)) {
            let policy = AutoBlockPolicy::default();
            let mut log = SlidingLog::new();
            let mut now = T0;
            let mut attacks = Vec::new();
            for gap in gaps {
                now += Duration::seconds(gap);
                attacks.push(now);
                if let AttackVerdict::Block { .. } = attack(&policy, &mut log, now) {
                    let in_window = attacks
                        .iter()
                        .filter(|t| now - **t < policy.window)
                        .count();
                    prop_assert!(in_window >= 10);
                    break;
                }
            }
        }
    }
}
