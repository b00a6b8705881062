//! [`UserStampStore`] on Redis: one string key per user, holding the stamp in decimal, with
//! [`UserStamp::LIFETIME`] as its expiry.

use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UserStamp, UserStampStore};
use redis::Script;
use time::OffsetDateTime;
use tracing::instrument;

use crate::RedisStores;
use crate::error::UnexpectedReply;
use crate::time_units::ttl_millis;

static USER_STAMP: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/user_stamp.lua")));

/// Parses a stamp as the scripts return it: the stored decimal value.
pub(crate) fn parse_stamp(value: i64, context: &'static str) -> Result<UserStamp, StoreError> {
    u64::try_from(value)
        .map(UserStamp::from_u64)
        .map_err(|_| StoreError::other(context, UnexpectedReply(format!("user stamp {value}"))))
}

/// Returns the value to store for a new random stamp. Stamps fit in 62 bits, so the scripts'
/// replies parse as non-negative 64-bit integers.
pub(crate) fn new_stamp_value() -> u64 {
    UserStamp::random().as_u64()
}

/// Returns the lifetime of a new stamp key, in milliseconds.
pub(crate) fn stamp_ttl_millis() -> i64 {
    ttl_millis(UserStamp::LIFETIME)
}

#[async_trait]
impl UserStampStore for RedisStores {
    /// Reads the stamp, storing a new one when the key is missing, in one script call. The
    /// lifetime counts in Redis's clock, so `now` is not used.
    #[instrument(level = "debug", skip_all, fields(user.id = %user))]
    async fn current(&self, user: UserId, now: OffsetDateTime) -> Result<UserStamp, StoreError> {
        let _ = now;
        let mut invocation = USER_STAMP.prepare_invoke();
        invocation
            .key(self.keys.user_stamp(user))
            .arg(new_stamp_value())
            .arg(stamp_ttl_millis());
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<i64>(link.connection()).await;
        let value = link.finish("read user stamp", result)?;
        parse_stamp(value, "read user stamp")
    }

    #[instrument(level = "debug", skip_all, fields(user.id = %user))]
    async fn renew(&self, user: UserId) -> Result<(), StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("DEL")
            .arg(self.keys.user_stamp(user))
            .query_async::<i64>(link.connection())
            .await;
        link.finish("renew user stamp", result).map(drop)
    }
}
