//! [`RevocationStore`] on Redis: one key per revoked token or family, holding its `until`.

use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::token::{FamilyId, TokenId};
use rampart_ports::{RevocationStore, StoreError};
use redis::Script;
use time::{Duration, OffsetDateTime};
use tracing::instrument;

use crate::RedisStores;
use crate::time_units::{micros, ttl_millis};

static REVOKE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/revoke.lua")));

/// How long past its `until` a revocation is kept, so that an instance whose clock runs behind
/// the writer's still finds it.
const EXPIRY_MARGIN: Duration = Duration::minutes(1);

impl RedisStores {
    /// Revokes every key until `until`, keeping a later `until` already stored.
    async fn revoke(&self, keys: Vec<String>, until: OffsetDateTime) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let ttl = ttl_millis((until - now).max(Duration::ZERO) + EXPIRY_MARGIN);
        let mut invocation = REVOKE.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation.arg(micros(until)).arg(ttl);
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<i64>(link.connection()).await;
        link.finish("revoke tokens", result).map(drop)
    }
}

#[async_trait]
impl RevocationStore for RedisStores {
    #[instrument(level = "debug", skip_all, fields(token_id = %token))]
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError> {
        self.revoke(vec![self.keys.revoked_token(token)], until)
            .await
    }

    #[instrument(level = "debug", skip_all, fields(families = families.len()))]
    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let keys = families
            .iter()
            .map(|family| self.keys.revoked_family(*family))
            .collect();
        self.revoke(keys, until).await
    }

    #[instrument(level = "debug", skip_all, fields(token_id = %token, family_id = %family))]
    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("MGET")
            .arg(self.keys.revoked_token(token))
            .arg(self.keys.revoked_family(family))
            .query_async::<Vec<Option<i64>>>(link.connection())
            .await;
        let untils = link.finish("check revocations", result)?;
        let now = micros(now);
        Ok(untils.into_iter().flatten().any(|until| now <= until))
    }
}
