//! A [`RateLimitStore`] that falls back to in-process limits while its shared store is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use rampart_domain::throttle::RateDecision;
use rampart_domain::token::AccessClaims;
use rampart_ports::error::BoxError;
use rampart_ports::{RateCheck, RateLimitStore, StoreError, TokenStatus};
use time::OffsetDateTime;

use crate::rate_limits::MemoryRateLimits;

/// Sends every check to a shared store and, when that store reports
/// [`StoreError::Unavailable`], to an in-process [`MemoryRateLimits`] instead.
///
/// While the shared store is down each instance counts alone, so a client spread over `n`
/// instances gets up to `n` times its limit. That is the price of keeping the service up. The
/// first failure of an outage is logged at warn level and the first success after it at info
/// level, with nothing logged in between. Errors other than `Unavailable` are returned as they
/// are. The in-process counts start empty at each outage and are not copied to the shared store.
pub struct FallbackRateLimits {
    shared: Arc<dyn RateLimitStore>,
    local: MemoryRateLimits,
    in_outage: AtomicBool,
}

impl FallbackRateLimits {
    /// Wraps `shared` with an empty in-process fallback.
    pub fn new(shared: Arc<dyn RateLimitStore>) -> Self {
        Self {
            shared,
            local: MemoryRateLimits::new(),
            in_outage: AtomicBool::new(false),
        }
    }

    /// Logs the end of an outage, once.
    fn mark_available(&self) {
        if self.in_outage.swap(false, Ordering::Relaxed) {
            tracing::info!("shared rate-limit store is available again; using shared limits");
        }
    }

    /// Logs the start of an outage, once.
    fn mark_outage(&self, source: &BoxError) {
        if !self.in_outage.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %source,
                "shared rate-limit store is unavailable; using in-process limits until it returns"
            );
        }
    }

    /// Returns whether the last call found the shared store down.
    pub fn is_in_outage(&self) -> bool {
        self.in_outage.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for FallbackRateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackRateLimits")
            .field("in_outage", &self.is_in_outage())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl RateLimitStore for FallbackRateLimits {
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError> {
        match self.shared.admit(checks, now).await {
            Ok(decisions) => {
                self.mark_available();
                Ok(decisions)
            }
            Err(StoreError::Unavailable(source)) => {
                self.mark_outage(&source);
                self.local.admit(checks, now).await
            }
            Err(other) => Err(other),
        }
    }

    async fn admit_with_status(
        &self,
        checks: &[RateCheck],
        claims: &AccessClaims,
        now: OffsetDateTime,
    ) -> Result<(Vec<RateDecision>, Option<TokenStatus>), StoreError> {
        match self.shared.admit_with_status(checks, claims, now).await {
            Ok(answer) => {
                self.mark_available();
                Ok(answer)
            }
            Err(StoreError::Unavailable(source)) => {
                self.mark_outage(&source);
                Ok((self.local.admit(checks, now).await?, None))
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use rampart_domain::throttle::RateLimit;
    use rampart_domain::token::{FamilyId, TokenId};
    use rampart_domain::user::{Role, UserId};
    use rampart_ports::UserStamp;
    use time::Duration;

    use super::*;

    /// A shared store that fails with `Unavailable` while `down` is set and otherwise allows
    /// everything, counting its calls.
    #[derive(Default)]
    struct FlakyStore {
        down: AtomicBool,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl RateLimitStore for FlakyStore {
        async fn admit(
            &self,
            checks: &[RateCheck],
            _now: OffsetDateTime,
        ) -> Result<Vec<RateDecision>, StoreError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if self.down.load(Ordering::Relaxed) {
                return Err(StoreError::Unavailable("connection refused".into()));
            }
            Ok(checks
                .iter()
                .map(|check| RateDecision {
                    allowed: true,
                    limit: check.limit.limit,
                    remaining: check.limit.limit,
                    reset_after: Duration::ZERO,
                    retry_after: None,
                })
                .collect())
        }

        /// Reports every token as revoked while up, as a store that keeps revocations would.
        async fn admit_with_status(
            &self,
            checks: &[RateCheck],
            _claims: &AccessClaims,
            now: OffsetDateTime,
        ) -> Result<(Vec<RateDecision>, Option<TokenStatus>), StoreError> {
            Ok((self.admit(checks, now).await?, Some(REVOKED)))
        }
    }

    const REVOKED: TokenStatus = TokenStatus {
        revoked: true,
        user_stamp: UserStamp::from_u64(1),
    };

    fn claims() -> AccessClaims {
        let now = OffsetDateTime::UNIX_EPOCH;
        AccessClaims::new(
            UserId::from_uuid(uuid::Uuid::new_v4()),
            Role::Member,
            TokenId::from_uuid(uuid::Uuid::new_v4()),
            FamilyId::from_uuid(uuid::Uuid::new_v4()),
            now,
        )
    }

    fn one_per_minute() -> [RateCheck; 1] {
        [RateCheck {
            key: "ip:192.0.2.1".to_owned(),
            limit: RateLimit {
                limit: 1,
                window: Duration::minutes(1),
            },
        }]
    }

    #[tokio::test]
    async fn outage_uses_local_limits() {
        let shared = Arc::new(FlakyStore::default());
        shared.down.store(true, Ordering::Relaxed);
        let store = FallbackRateLimits::new(shared.clone());

        let first = store
            .admit(&one_per_minute(), OffsetDateTime::UNIX_EPOCH)
            .await;
        let second = store
            .admit(&one_per_minute(), OffsetDateTime::UNIX_EPOCH)
            .await;

        assert!(first.unwrap()[0].allowed);
        assert!(!second.unwrap()[0].allowed, "local limit not applied");
        assert!(store.is_in_outage());
    }

    #[tokio::test]
    async fn outage_admission_reports_no_revocation_status() {
        let shared = Arc::new(FlakyStore::default());
        let store = FallbackRateLimits::new(shared.clone());
        let claims = claims();
        let now = OffsetDateTime::UNIX_EPOCH;

        let (_, while_up) = store
            .admit_with_status(&one_per_minute(), &claims, now)
            .await
            .unwrap();
        shared.down.store(true, Ordering::Relaxed);
        let (first, while_down) = store
            .admit_with_status(&one_per_minute(), &claims, now)
            .await
            .unwrap();
        let (second, _) = store
            .admit_with_status(&one_per_minute(), &claims, now)
            .await
            .unwrap();

        assert_eq!(while_up, Some(REVOKED), "shared status not passed on");
        assert_eq!(while_down, None, "status reported without the shared store");
        assert!(first[0].allowed);
        assert!(!second[0].allowed, "local limit not applied");
    }

    #[tokio::test]
    async fn recovery_returns_to_shared_store() {
        let shared = Arc::new(FlakyStore::default());
        shared.down.store(true, Ordering::Relaxed);
        let store = FallbackRateLimits::new(shared.clone());
        store
            .admit(&one_per_minute(), OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();

        shared.down.store(false, Ordering::Relaxed);
        let decisions = store
            .admit(&one_per_minute(), OffsetDateTime::UNIX_EPOCH)
            .await
            .unwrap();

        assert_eq!(
            decisions[0].remaining, 1,
            "decision did not come from the shared store"
        );
        assert!(!store.is_in_outage());
        assert_eq!(shared.calls.load(Ordering::Relaxed), 2);
    }
}
