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
    /// Checks a request at `now` against the times of earlier accepted requests, and records
    /// it in `log` when it passes. Entries older than the window are dropped.
    ///
    /// `log` must be in ascending order, as this function leaves it.
    pub fn admit(&self, log: &mut VecDeque<OffsetDateTime>, now: OffsetDateTime) -> RateDecision {
        let horizon = now - self.window;
        while log.front().is_some_and(|t| *t <= horizon) {
            log.pop_front();
        }
        let used = u32::try_from(log.len()).unwrap_or(u32::MAX);
        let reset_after = log
            .front()
            .map_or(Duration::ZERO, |oldest| *oldest + self.window - now);

        if used >= self.limit {
            return RateDecision {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                reset_after,
                retry_after: Some(reset_after.max(Duration::SECOND)),
            };
        }

        log.push_back(now);
        let reset_after = log
            .front()
            .map_or(Duration::ZERO, |oldest| *oldest + self.window - now);
        RateDecision {
            allowed: true,
            limit: self.limit,
            remaining: self.limit - used - 1,
            reset_after,
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
        let mut log = VecDeque::new();
        let now = OffsetDateTime::UNIX_EPOCH;

        let decisions: Vec<_> = (0..3)
            .map(|_| THREE_PER_MINUTE.admit(&mut log, now))
            .collect();

        assert!(decisions.iter().all(|d| d.allowed));
        assert_eq!(decisions.last().unwrap().remaining, 0);
    }

    #[test]
    fn request_over_limit_is_rejected_with_retry() {
        let mut log = VecDeque::new();
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
        let mut log = VecDeque::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(59));
        }

        let at_boundary = THREE_PER_MINUTE.admit(&mut log, start + Duration::seconds(61));

        assert!(!at_boundary.allowed);
    }

    #[test]
    fn request_passes_once_oldest_leaves_window() {
        let mut log = VecDeque::new();
        let start = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            THREE_PER_MINUTE.admit(&mut log, start);
        }

        let decision = THREE_PER_MINUTE.admit(&mut log, start + Duration::minutes(1));

        assert!(decision.allowed);
    }

    proptest! {
        #[test]
        fn no_window_exceeds_limit(gaps in proptest::collection::vec(0i64..30_000, 1..200)) {
            let mut log = VecDeque::new();
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
    }
}
