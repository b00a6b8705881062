//! [`RateLimitStore`] on Redis: the domain's [`SlidingLog`] per check key, as a hash of slots,
//! all checks of a call in one script.
//!
//! [`SlidingLog`]: rampart_domain::throttle::SlidingLog

use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::throttle::RateDecision;
use rampart_domain::token::AccessClaims;
use rampart_ports::{RateCheck, RateLimitStore, StoreError, TokenStatus};
use redis::Script;
use time::{Duration, OffsetDateTime};
use tracing::instrument;

use crate::RedisStores;
use crate::error::UnexpectedReply;
use crate::time_units::{micros, span_micros};
use crate::user_stamps::{new_stamp_value, parse_stamp, stamp_ttl_millis};

static RATE_LIMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/rate_limit.lua")));

/// Integers the script returns per check.
const FIELDS_PER_CHECK: usize = 4;

/// Turns the script's flat reply into one decision per check.
fn decisions(checks: &[RateCheck], reply: &[i64]) -> Result<Vec<RateDecision>, StoreError> {
    if reply.len() != checks.len() * FIELDS_PER_CHECK {
        return Err(StoreError::other(
            "admit rate limits",
            UnexpectedReply(format!(
                "{} integers for {} checks",
                reply.len(),
                checks.len()
            )),
        ));
    }
    let decisions = checks
        .iter()
        .zip(reply.chunks_exact(FIELDS_PER_CHECK))
        .map(|(check, fields)| {
            let [allowed, remaining, reset, retry] =
                [0, 1, 2, 3].map(|i| fields.get(i).copied().unwrap_or_default());
            RateDecision {
                allowed: allowed == 1,
                limit: check.limit.limit,
                remaining: u32::try_from(remaining).unwrap_or(0),
                reset_after: Duration::microseconds(reset),
                retry_after: (retry >= 0).then(|| Duration::microseconds(retry)),
            }
        })
        .collect();
    Ok(decisions)
}

impl RedisStores {
    /// Runs the rate-limit script on `checks`, reading the status of the token of `claims` in
    /// the same call when given, and returns its reply unparsed.
    async fn run_rate_limit(
        &self,
        checks: &[RateCheck],
        claims: Option<&AccessClaims>,
        now: OffsetDateTime,
    ) -> Result<Vec<i64>, StoreError> {
        let mut invocation = RATE_LIMIT.prepare_invoke();
        invocation.arg(micros(now)).arg(checks.len());
        for check in checks {
            invocation
                .key(self.keys.rate_log(&check.key))
                .arg(check.limit.limit)
                .arg(span_micros(check.limit.window));
        }
        if let Some(claims) = claims {
            invocation
                .key(self.keys.revoked_token(claims.token_id))
                .key(self.keys.revoked_family(claims.family_id))
                .key(self.keys.user_stamp(claims.user_id))
                .arg(new_stamp_value())
                .arg(stamp_ttl_millis());
        }
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<Vec<i64>>(link.connection()).await;
        link.finish("admit rate limits", result)
    }
}

#[async_trait]
impl RateLimitStore for RedisStores {
    #[instrument(level = "debug", skip_all, fields(checks = checks.len()))]
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError> {
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let reply = self.run_rate_limit(checks, None, now).await?;
        decisions(checks, &reply)
    }

    /// Admits, and reads the revocations of the token and its family and the stamp of its
    /// user, in one script call, since this store also keeps those.
    #[instrument(level = "debug", skip_all, fields(checks = checks.len(), token_id = %claims.token_id))]
    async fn admit_with_status(
        &self,
        checks: &[RateCheck],
        claims: &AccessClaims,
        now: OffsetDateTime,
    ) -> Result<(Vec<RateDecision>, Option<TokenStatus>), StoreError> {
        let mut reply = self.run_rate_limit(checks, Some(claims), now).await?;
        let stamp = reply.pop().unwrap_or(-1);
        let revoked = match reply.pop() {
            Some(flag @ (0 | 1)) => flag == 1,
            other => {
                return Err(StoreError::other(
                    "admit rate limits",
                    UnexpectedReply(format!("revocation flag {other:?}")),
                ));
            }
        };
        let status = TokenStatus {
            revoked,
            user_stamp: parse_stamp(stamp, "admit rate limits")?,
        };
        Ok((decisions(checks, &reply)?, Some(status)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rampart_domain::throttle::RateLimit;
    use rampart_ports::Clock;
    use rampart_tests::redis::TestRedis;

    use super::*;
    use crate::RedisSettings;

    struct FixedClock;

    impl Clock for FixedClock {
        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::UNIX_EPOCH
        }
    }

    /// Returns the time to live of the log of `check_key`, in milliseconds.
    async fn log_ttl(stores: &RedisStores, check_key: &str) -> i64 {
        let mut link = stores.pool.link().await.unwrap();
        redis::cmd("PTTL")
            .arg(stores.keys.rate_log(check_key))
            .query_async::<i64>(link.connection())
            .await
            .unwrap()
    }

    /// The port's contract checks only decisions, so the key's expiry is checked here: it must
    /// cover the newest request a log's newest slot can still take.
    #[tokio::test(flavor = "multi_thread")]
    async fn log_expiry_covers_joinable_slot() {
        let redis = TestRedis::start();
        let mut settings = RedisSettings::new(redis.url());
        settings.prefix = redis.prefix().to_owned();
        let stores = RedisStores::connect(&settings, Arc::new(FixedClock)).unwrap();
        let key = "ip:192.0.2.1";
        let checks = [RateCheck {
            key: key.to_owned(),
            limit: RateLimit {
                limit: 1000,
                window: Duration::minutes(1),
            },
        }];
        let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let at = |ms: i64| start + Duration::milliseconds(ms);

        for ms in 0..63 {
            stores.admit(&checks, at(ms)).await.unwrap();
        }
        let exact = log_ttl(&stores, key).await;
        stores.admit(&checks, at(63)).await.unwrap();
        let joinable = log_ttl(&stores, key).await;
        stores.admit(&checks, at(500)).await.unwrap();
        let joined = log_ttl(&stores, key).await;

        // No request can join the newest of 63 exact slots, so one window is enough for it.
        assert!(
            (59_000..=60_000).contains(&exact),
            "{exact} ms to live with 63 exact slots"
        );
        // The 64th slot takes requests for 937.5 ms more, a minute's slot span.
        assert!(
            (60_001..=60_938).contains(&joinable),
            "{joinable} ms to live once the newest slot can be joined"
        );
        assert!(
            joined <= joinable,
            "joining the newest slot moved the expiry from {joinable} ms to {joined} ms"
        );
    }
}
