//! The stores of the counters and lists every instance must share: revocations, login attempts
//! and rate limits, in Redis when `redis.url` is set and in process otherwise.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rampart_domain::token::{FamilyId, TokenId};
use rampart_http::ReadinessProbe;
use rampart_ports::{Clock, LoginAttemptStore, RateLimitStore, RevocationStore, StoreError};
use uuid::Uuid;

use crate::config::Config;

/// The shared stores, as ports.
pub(crate) struct SharedStores {
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) login_attempts: Arc<dyn LoginAttemptStore>,
    pub(crate) rate_limits: Arc<dyn RateLimitStore>,
}

/// Builds the shared stores named by the configuration.
///
/// With Redis, revocations and login attempts use it alone, so they fail closed while it is
/// down. Rate limits fall back to in-process counts ([`rampart_memory::FallbackRateLimits`]).
///
/// # Errors
/// When the Redis settings cannot be used.
pub(crate) fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<SharedStores> {
    let Some(settings) = &config.redis else {
        tracing::info!("shared counters and revocations are kept in process (redis.url unset)");
        return Ok(SharedStores {
            revocations: Arc::new(rampart_memory::MemoryRevocations::default()),
            login_attempts: Arc::new(rampart_memory::MemoryLoginAttempts::default()),
            rate_limits: Arc::new(rampart_memory::MemoryRateLimits::default()),
        });
    };
    let redis = Arc::new(
        rampart_redis::RedisStores::connect(settings, clock).context("setting up redis.url")?,
    );
    tracing::info!(
        redis.url = %rampart_redis::redact(&settings.url),
        redis.prefix = %settings.prefix,
        redis.pool_size = settings.pool_size,
        redis.timeout_ms = u64::try_from(settings.timeout.as_millis()).unwrap_or(u64::MAX),
        "shared counters and revocations are kept in Redis"
    );
    Ok(SharedStores {
        revocations: redis.clone(),
        login_attempts: redis.clone(),
        rate_limits: Arc::new(rampart_memory::FallbackRateLimits::new(redis)),
    })
}

/// Checks the revocation store by looking up ids that were never issued: with Redis, one round
/// trip that reads two absent keys, and with the in-process store, a lookup that cannot fail.
pub(crate) struct RevocationProbe {
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait]
impl ReadinessProbe for RevocationProbe {
    fn name(&self) -> &'static str {
        "revocation store"
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.revocations
            .is_revoked(
                TokenId::from_uuid(Uuid::nil()),
                FamilyId::from_uuid(Uuid::nil()),
                self.clock.now(),
            )
            .await
            .map(drop)
    }
}
