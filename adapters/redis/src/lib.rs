//! Redis stores for Rampart: the counters and lists that guard the service, shared by every
//! instance.
//!
//! [`RedisStores`] implements [`RateLimitStore`](rampart_ports::RateLimitStore),
//! [`LoginAttemptStore`](rampart_ports::LoginAttemptStore),
//! [`RevocationStore`](rampart_ports::RevocationStore) and
//! [`IpBlockStore`](rampart_ports::IpBlockStore) on one bb8 pool of redis-rs multiplexed
//! connections. Refresh families stay in the database.
//!
//! Every check-and-update is one Lua script, run with `EVALSHA` and loaded again when the
//! server answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`), so Redis runs it as one atomic
//! step. The scripts apply the domain's rules exactly: `RateLimit::admit` for each rate check
//! (all or nothing across the checks of one call) and `LockoutPolicy::admit`, `succeed` and
//! `release` for logins, with the policy's numbers passed as arguments.
//!
//! Time: the scripts use the `now` that the ports pass in, never the server's `TIME`, so every
//! instance must keep its clock in sync (NTP); a skew of `s` seconds shifts each window by up to
//! `s`. Key expiry uses relative TTLs. A login key expires one window after its newest entry, and
//! a rate-limit log at least one window after the newest request its newest slot can take. A
//! revoked token id expires one minute after the token would expire, as measured by the
//! [`Clock`](rampart_ports::Clock) given to [`RedisStores::connect`].
//!
//! Keys all start with the configured prefix (`rampart:` by default):
//!
//! ```text
//!   <prefix>rate-packed:<check key>   hash: sliding log of accepted requests in slots
//!   <prefix>login:user:<username>     sorted set of failures from every address
//!   <prefix>login:pairs:<username>    hash: client IP -> "locked_until|failure,failure,..."
//!   <prefix>login:ip:<client ip>      sorted set of failures for every username
//!   <prefix>revoked:token:<token id>  revoked until (microseconds since the epoch)
//!   <prefix>revoked:family:<id>       revoked until (microseconds since the epoch)
//!   <prefix>user-stamp:<user id>      the user's stamp, a random number below 2^62
//!   <prefix>blocks                    hash: canonical range -> "until|range|reason"
//! ```
//!
//! NOTE: a script touches several keys, so the keys of one call must live on one node: these
//! stores support a single Redis server (or a primary with replicas), not Redis Cluster.

mod blocks;
mod breaker;
mod error;
mod keys;
mod login_attempts;
mod pool;
mod rate_limits;
mod revocations;
mod settings;
mod time_units;
mod user_stamps;

use std::sync::Arc;

use rampart_ports::{Clock, StoreError};
use tracing::instrument;

pub use crate::error::RedisSetupError;
use crate::keys::Keys;
pub use crate::settings::{
    DEFAULT_POOL_SIZE, DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisSettings, UrlProblem, UrlSummary,
    check_url, redact,
};

/// The Redis-backed stores, sharing one connection pool.
///
/// Cloning is cheap: clones share the pool.
#[derive(Clone)]
pub struct RedisStores {
    pool: pool::RedisPool,
    keys: Keys,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStores")
            .field("prefix", &self.keys.prefix())
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl RedisStores {
    /// Builds the stores on a pool for `settings.url`. Connections open lazily, so Redis need
    /// not be up yet; call [`ping`](Self::ping) to find out.
    ///
    /// `clock` dates the writes whose port passes no `now` (revocations and blocks) when their
    /// TTL is computed.
    ///
    /// # Errors
    /// [`RedisSetupError`] when the URL does not parse, names no password while
    /// `allow_insecure` is false, or the pool settings are out of range.
    pub fn connect(
        settings: &RedisSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RedisSetupError> {
        let pool = pool::RedisPool::build(settings)?;
        Ok(Self {
            pool,
            keys: Keys::new(&settings.prefix),
            clock,
        })
    }

    /// Sends `PING` and waits for the reply.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when Redis cannot be reached or does not reply within the
    /// timeout.
    #[instrument(level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("PING")
            .query_async::<String>(link.connection())
            .await;
        link.finish("ping redis", result).map(drop)
    }
}
