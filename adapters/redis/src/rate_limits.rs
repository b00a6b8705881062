//! [`RateLimitStore`] on Redis: one sorted set per check key, all checks of a call in one
//! script.

use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::throttle::RateDecision;
use rampart_ports::{RateCheck, RateLimitStore, StoreError};
use redis::Script;
use time::{Duration, OffsetDateTime};
use tracing::instrument;
use uuid::Uuid;

use crate::RedisStores;
use crate::error::UnexpectedReply;
use crate::time_units::{micros, span_micros};

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
        let mut invocation = RATE_LIMIT.prepare_invoke();
        invocation
            .arg(micros(now))
            .arg(Uuid::new_v4().simple().to_string());
        for check in checks {
            invocation
                .key(self.keys.rate(&check.key))
                .arg(check.limit.limit)
                .arg(span_micros(check.limit.window));
        }
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<Vec<i64>>(link.connection()).await;
        let reply = link.finish("admit rate limits", result)?;
        decisions(checks, &reply)
    }
}
