//! The `RateLimit-Policy` and `RateLimit` response headers.
//!
//! The format follows draft-ietf-httpapi-ratelimit-headers-09: each header is a structured-field
//! list with one item, a quoted policy name with parameters.
//!
//! ```text
//!   RateLimit-Policy: "ip";q=100;w=60     quota q requests per window of w seconds
//!   RateLimit: "ip";r=57;t=30             r requests remaining, t seconds until the oldest
//!                                         counted request leaves the window
//! ```
//!
//! Only the tightest limit of the request is described: the one that rejected it (the one with
//! the longest wait when both did), or else the one with the fewest requests remaining (the one
//! that resets last on a tie). The policy names are `ip`, `anonymous` and `user`.

use poem::Response;
use poem::http::HeaderValue;
use rampart_domain::throttle::{RateDecision, RateLimit};
use time::Duration;

/// The name of the limit a decision belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    Ip,
    Anonymous,
    User,
}

impl Policy {
    /// Returns the policy name used in the headers and the security log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Anonymous => "anonymous",
            Self::User => "user",
        }
    }
}

/// Returns the index and decision of the tightest limit. An empty list yields a decision that
/// allows the request, which no caller passes.
pub(crate) fn tightest(decisions: &[RateDecision]) -> (usize, RateDecision) {
    let mut best: Option<(usize, RateDecision)> = None;
    for (index, decision) in decisions.iter().enumerate() {
        let replace = match &best {
            None => true,
            Some((_, current)) => is_tighter(decision, current),
        };
        if replace {
            best = Some((index, *decision));
        }
    }
    best.unwrap_or((
        0,
        RateDecision {
            allowed: true,
            limit: 0,
            remaining: 0,
            reset_after: Duration::ZERO,
            retry_after: None,
        },
    ))
}

fn is_tighter(candidate: &RateDecision, current: &RateDecision) -> bool {
    match (candidate.allowed, current.allowed) {
        (false, true) => true,
        (true, false) => false,
        (false, false) => candidate.retry_after > current.retry_after,
        (true, true) => {
            candidate.remaining < current.remaining
                || (candidate.remaining == current.remaining
                    && candidate.reset_after > current.reset_after)
        }
    }
}

/// Returns whole seconds, rounded up, and never negative.
fn ceil_seconds(span: Duration) -> i64 {
    let seconds = span.whole_seconds() + i64::from(span.subsec_nanoseconds() > 0);
    seconds.max(0)
}

/// Formats the `RateLimit-Policy` and `RateLimit` values of one limit.
pub(crate) fn header_values(
    policy: Policy,
    limit: RateLimit,
    decision: &RateDecision,
) -> (String, String) {
    let name = policy.name();
    let policy_value = format!(
        "\"{name}\";q={};w={}",
        limit.limit,
        ceil_seconds(limit.window)
    );
    let state_value = format!(
        "\"{name}\";r={};t={}",
        decision.remaining,
        ceil_seconds(decision.reset_after)
    );
    (policy_value, state_value)
}

/// Adds both headers for the tightest limit to `response`.
pub(crate) fn insert_headers(
    response: &mut Response,
    policy: Policy,
    limit: Option<RateLimit>,
    decision: &RateDecision,
) {
    let Some(limit) = limit else {
        return;
    };
    let (policy_value, state_value) = header_values(policy, limit, decision);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy_value) {
        headers.insert("ratelimit-policy", value);
    }
    if let Ok(value) = HeaderValue::from_str(&state_value) {
        headers.insert("ratelimit", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(remaining: u32, reset_seconds: i64) -> RateDecision {
        RateDecision {
            allowed: true,
            limit: 100,
            remaining,
            reset_after: Duration::seconds(reset_seconds),
            retry_after: None,
        }
    }

    #[test]
    fn fewest_remaining_is_tightest() {
        let decisions = [allowed(57, 30), allowed(12, 3000)];

        let (index, _) = tightest(&decisions);

        assert_eq!(index, 1);
    }

    #[test]
    fn rejection_beats_any_allowance() {
        let rejected = RateDecision {
            allowed: false,
            remaining: 0,
            retry_after: Some(Duration::seconds(5)),
            ..allowed(0, 5)
        };

        let (index, _) = tightest(&[allowed(0, 60), rejected]);

        assert_eq!(index, 1);
    }

    #[test]
    fn values_follow_draft_format() {
        let limit = RateLimit {
            limit: 100,
            window: Duration::seconds(60),
        };
        let decision = RateDecision {
            reset_after: Duration::milliseconds(29_200),
            ..allowed(57, 0)
        };

        let (policy, state) = header_values(Policy::Ip, limit, &decision);

        assert_eq!(policy, "\"ip\";q=100;w=60");
        assert_eq!(state, "\"ip\";r=57;t=30");
    }
}
