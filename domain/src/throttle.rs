//! Sliding-window rate limits.
//!
//! A limit of `limit` requests per `window` keeps the times of the requests it let through. A new
//! request passes when fewer than `limit` of those fall inside the last `window`; otherwise it is
//! rejected and nothing is recorded. Because the window slides with every request, no interval of
//! length `window` ever holds more than `limit` accepted requests, window edges included (unlike
//! fixed buckets, which let through twice the limit across a bucket boundary).
//!
//! ```text
//!   times kept: [t1 t2 ... tn]   (all > now - window)
//!   n < limit  -> Allowed, push now
//!   n = limit  -> Rejected, retry after t1 + window - now
//! ```
//!
//! A [`SlidingLog`] keeps each request's exact time in a slot of its own until it contains 64
//! slots. From then on, a request that arrives less than 1/64 of the window after the first
//! request of the newest slot joins that slot, which counts its requests and leaves the window
//! when its newest request does. A key therefore keeps at most 129 slots however high its limit,
//! and a log of more than 64 requests counts some of them up to 1/64 of the window longer than
//! their own times. That error is on the safe side: the limit still applies to every interval of
//! length `window`. Logs of at most 64 requests, such as every limit of 64 or less, are exact.
use std::collections::VecDeque;

use time::{Duration, OffsetDateTime};

/// A rate limit: at most `limit` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

/// The throttles of the service, with their default limits.
pub mod limits {
    use super::*;

    /// Anonymous requests: 100 per hour per client IP.
    pub const ANONYMOUS: RateLimit = RateLimit {
        limit: 100,
        window: Duration::hours(1),
    };
    /// Authenticated requests: 1000 per hour per user.
    pub const AUTHENTICATED: RateLimit = RateLimit {
        limit: 1000,
        window: Duration::hours(1),
    };
    /// Registrations: 3 per hour per client IP.
    pub const REGISTRATION: RateLimit = RateLimit {
        limit: 3,
        window: Duration::hours(1),
    };
    /// Profile changes: 10 per hour per user, so that the 409 responses to taken usernames and
    /// emails cannot be collected in bulk.
    pub const PROFILE_CHANGE: RateLimit = RateLimit {
        limit: 10,
        window: Duration::hours(1),
    };
    /// Password changes: 5 attempts per 15 minutes per user, counted before the current
    /// password is checked, so a stolen access token cannot guess it.
    pub const PASSWORD_CHANGE: RateLimit = RateLimit {
        limit: 5,
        window: Duration::minutes(15),
    };
    /// Every request: 100 per 60 seconds per client IP.
    pub const IP: RateLimit = RateLimit {
        limit: 100,
        window: Duration::seconds(60),
    };
}

/// Number of slots a [`SlidingLog`] keeps exact. A slot that later requests join spans at most
/// 1/`SLOTS_PER_WINDOW` of the window, which bounds how much later they are counted.
pub const SLOTS_PER_WINDOW: i32 = 64;

/// Requests that arrived within one slot's span: from `first` to `last`, `count` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    first: OffsetDateTime,
    last: OffsetDateTime,
    count: u32,
}

/// The accepted requests of one key in slots, oldest first (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlidingLog {
    slots: VecDeque<Slot>,
    total: u32,
}

impl SlidingLog {
    /// Creates an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the number of requests counted.
    pub fn len(&self) -> u32 {
        self.total
    }

    /// Returns whether no request is counted.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Returns the number of slots in use, the measure of the log's memory.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Returns the time of the newest request counted.
    pub fn newest(&self) -> Option<OffsetDateTime> {
        self.slots.back().map(|slot| slot.last)
    }

    /// Returns the time at which the oldest slot leaves a window of `window`.
    fn oldest_leaves(&self, window: Duration) -> Option<OffsetDateTime> {
        self.slots.front().map(|slot| slot.last + window)
    }

    /// Drops the slots whose newest request is at or before `horizon`.
    fn forget_until(&mut self, horizon: OffsetDateTime) {
        while let Some(slot) = self.slots.front().copied() {
            if slot.last > horizon {
                break;
            }
            self.slots.pop_front();
            self.total -= slot.count;
        }
    }

    /// Counts one request at `now`: in a slot of its own while the log contains fewer than
    /// [`SLOTS_PER_WINDOW`] slots, else in the newest slot when that started less than `span`
    /// ago.
    fn record(&mut self, now: OffsetDateTime, span: Duration) {
        self.total += 1;
        let exact = self.slots.len() < SLOTS_PER_WINDOW as usize;
        if !exact
            && let Some(slot) = self.slots.back_mut()
            && now - slot.first < span
        {
            slot.count += 1;
            slot.last = slot.last.max(now);
            return;
        }
        self.slots.push_back(Slot {
            first: now,
            last: now,
            count: 1,
        });
    }

    /// Takes back the newest request counted, as when a request that passed this limit is
    /// rejected by another and must not be counted anywhere. The slot keeps its `last` time, so
    /// the remaining requests may be counted a little longer, never shorter.
    pub fn take_back_newest(&mut self) {
        let Some(slot) = self.slots.back_mut() else {
            return;
        };
        slot.count -= 1;
        self.total -= 1;
        if slot.count == 0 {
            self.slots.pop_back();
        }
    }
}

/// The outcome of a rate-limit check, with what the `RateLimit` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still allowed in the current window after this one.
    pub remaining: u32,
    /// Time until the oldest counted request leaves the window.
    pub reset_after: Duration,
    /// For a rejection, time until a request would pass.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Checks a request at `now` against the earlier accepted requests in `log`, and records it
    /// there when it passes. Slots that left the window are dropped.
    pub fn admit(&self, log: &mut SlidingLog, now: OffsetDateTime) -> RateDecision {
        log.forget_until(now - self.window);
        let used = log.len();
        let reset_after = |log: &SlidingLog| {
            log.oldest_leaves(self.window)
                .map_or(Duration::ZERO, |leaves| leaves - now)
        };

        if used >= self.limit {
            let reset_after = reset_after(log);
            return RateDecision {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                reset_after,
                retry_after: Some(reset_after.max(Duration::SECOND)),
            };
        }

        log.record(now, self.window / SLOTS_PER_WINDOW);
        RateDecision {
            allowed: true,
            limit: self.limit,
            remaining: self.limit - used - 1,
            reset_after: reset_after(log),
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const THREE_PER_MINUTE: RateLimit = RateLimit {
        limit: 3,
        window: Duration::minutes(1),
    };

    #[test]
    fn requests_up_to_limit_pass() {
        let mut log = SlidingLog::new();
        let now = OffsetDateTime::UNIX_EPOCH;

        let decisions: Vec<_> = (0..3)
            .map(|_| THREE_PER_MINUTE.admit(&mut log, now))
            .collect();

        assert!(decisions.iter().all(|d| d.allowed));
        assert_eq!(decisions.last().unwrap().remaining, 0);
    }

    #[test]
    fn request_over_limit_is_rejected_with_retry() {
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            THREE_PER_MINUTE.admit(&mut log, start);
        }

        let decision = THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(20));

        assert!(!decision.allowed);
        assert_eq!(decision.retry_after, Some(Duration::seconds(40)));
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn window_edge_lets_no_extra_request_through() {
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(59));
        }

        let at_boundary = THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(61));

        assert!(!at_boundary.allowed);
    }

    #[test]
    fn request_passes_once_oldest_leaves_window() {
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            THREE_PER_MINUTE.admit(&mut log, start);
        }

        let decision = THREE_PER_MINUTE.admit(&mut log, start + Duration::minutes(1));

        assert!(decision.allowed);
    }

    #[test]
    fn high_limit_log_stays_within_slots() {
        let limit = RateLimit {
            limit: 1_000_000_000,
            window: Duration::hours(1),
        };
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;

        // 20 requests per second for two hours: 144,000 requests.
        for n in 0..144_000 {
            let decision = limit.admit(&mut log, start + Duration::milliseconds(50 * n));
            assert!(decision.allowed, "request {n} rejected");
        }

        assert!(log.slot_count() <= 129, "{} slots", log.slot_count());
        // Only the last hour counts, give or take the newest slot's span.
        assert!(
            (72_000..=73_200).contains(&log.len()),
            "{} counted",
            log.len()
        );
    }

    #[test]
    fn small_log_keeps_exact_times() {
        let limit = RateLimit {
            limit: 64,
            window: Duration::minutes(1),
        };
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for ms in 0..64 {
            limit.admit(&mut log, start + Duration::milliseconds(ms));
        }

        let decision = limit.admit(&mut log, start + Duration::minutes(1));

        assert_eq!(log.slot_count(), 64);
        assert!(decision.allowed, "oldest request still counted");
        assert_eq!(decision.remaining, 0);
    }

    #[test]
    fn joined_slot_leaves_with_newest_request() {
        let limit = RateLimit {
            limit: 67,
            window: Duration::minutes(1),
        };
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        // 64 exact slots in the first 64 ms, then three requests that join the newest slot,
        // since a minute's slots span 937.5 ms.
        for ms in (0..64).chain([400, 600, 900]) {
            limit.admit(&mut log, start + Duration::milliseconds(ms));
        }
        assert_eq!(log.slot_count(), 64);

        let before = limit.admit(&mut log, start + Duration::milliseconds(60_500));
        let after = limit.admit(&mut log, start + Duration::milliseconds(60_900));

        // Exact times would count only the requests at 600 and 900 ms here, not all four.
        assert!(before.allowed, "exact slots did not leave on time");
        assert_eq!(
            before.remaining, 62,
            "joined slot left before its newest request"
        );
        assert!(
            after.allowed,
            "joined slot kept after its newest request left"
        );
        assert_eq!(after.remaining, 65);
    }

    #[test]
    fn taking_back_newest_uncounts_it() {
        let mut log = SlidingLog::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        THREE_PER_MINUTE.admit(&mut log, start);
        THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(5));

        log.take_back_newest();

        assert_eq!(log.len(), 1);
        assert_eq!(log.slot_count(), 1);
        assert_eq!(log.newest(), Some(start));
    }

    proptest! {
        #[test]
        fn no_window_exceeds_limit(gaps in proptest::collection::vec(0i64..30_000, 1..200)) {
            let mut log = SlidingLog::new();
            let mut now = OffsetDateTime::UNIX_EPOCH;
            let mut accepted = Vec::new();
            for gap in gaps {
                now += Duration::milliseconds(gap);
                if THREE_PER_MINUTE.admit(&mut log, now).allowed {
                    accepted.push(now);
                }
            }
            for (i, start) in accepted.iter().enumerate() {
                let in_window = accepted[i..].iter().filter(|t| **t - *start < Duration::minutes(1)).count();
                prop_assert!(in_window <= 3);
            }
        }

        #[test]
        fn joined_slots_keep_limit_and_bound(
            gaps in proptest::collection::vec(0i64..600, 1..800),
            limit in 65u32..200,
        ) {
            let limit = RateLimit { limit, window: Duration::minutes(1) };
            let mut log = SlidingLog::new();
            let mut now = OffsetDateTime::UNIX_EPOCH;
            let mut accepted = Vec::new();
            for gap in gaps {
                now += Duration::milliseconds(gap);
                if limit.admit(&mut log, now).allowed {
                    accepted.push(now);
                }
                prop_assert!(log.slot_count() <= 129, "{} slots", log.slot_count());
            }
            // Accepted times are ascending, so the requests of the window starting at each one
            // are those up to the first that is a window later.
            for (i, start) in accepted.iter().enumerate() {
                let in_window = accepted[i..]
                    .iter()
                    .take_while(|t| **t - *start < limit.window)
                    .count();
                prop_assert!(in_window <= limit.limit as usize, "{in_window} in one window");
            }
        }
    }
}
