//! The stores of the counters and lists every instance must share: revocations, user stamps,
//! login attempts and rate limits, in Redis when `redis.url` is set. Otherwise revocations go
//! to the SQLite database, so that they outlive a restart, and the rest stays in process.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rampart_domain::token::{FamilyId, TokenId};
use rampart_http::ReadinessProbe;
use rampart_ports::{
    Clock, LoginAttemptStore, RateLimitStore, RevocationStore, StoreError, UserStampStore,
};
use uuid::Uuid;

use crate::config::Config;

/// The shared stores, as ports.
pub(crate) struct SharedStores {
    pub(crate) revocations: Arc<dyn RevocationStore>,
    pub(crate) user_stamps: Arc<dyn UserStampStore>,
    pub(crate) login_attempts: Arc<dyn LoginAttemptStore>,
    pub(crate) rate_limits: Arc<dyn RateLimitStore>,
}

/// Builds the shared stores named by the configuration.
///
/// With Redis, revocations and login attempts use it alone, so they fail closed while it is
/// down. Rate limits fall back to in-process counts ([`rampart_memory::FallbackRateLimits`]).
/// Without Redis, revocations go to `sqlite`, the migrated database of the service, or stay in
/// process when the database is not SQLite.
///
/// # Errors
/// When the Redis settings cannot be used.
pub(crate) fn build(
    config: &Config,
    clock: Arc<dyn Clock>,
    sqlite: Option<rampart_sqlite::SqliteStores>,
) -> anyhow::Result<SharedStores> {
    let Some(settings) = &config.redis else {
        let revocations: Arc<dyn RevocationStore> = match sqlite {
            Some(stores) => {
                tracing::info!(
                    "revocations are kept in the SQLite database and counters in process \
                     (redis.url unset)"
                );
                Arc::new(rampart_sqlite::SqliteRevocations::new(stores, clock))
            }
            None => {
                // NOTE: on PostgreSQL without Redis, revocations are lost on restart.
                tracing::warn!(
                    "revocations and counters are kept in process and lost on restart \
                     (redis.url unset and the database is not SQLite)"
                );
                Arc::new(rampart_memory::MemoryRevocations::default())
            }
        };
        return Ok(SharedStores {
            revocations,
            // NOTE: without Redis each instance keeps its own stamps, so a profile changed on
            // one instance shows on another only when that one's cached copy is a minute old.
            user_stamps: Arc::new(rampart_memory::MemoryUserStamps::new()),
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
        user_stamps: redis.clone(),
        login_attempts: redis.clone(),
        rate_limits: Arc::new(rampart_memory::FallbackRateLimits::new(redis)),
    })
}

/// Checks the revocation store by looking up ids that were never issued: with Redis, one round
/// trip that reads two absent keys, and with SQLite, one indexed read.
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
