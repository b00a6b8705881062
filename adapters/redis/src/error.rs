//! Errors of setting up the pool, and the translation of redis-rs errors into [`StoreError`].

use rampart_ports::StoreError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

use crate::settings::UrlProblem;

/// Failure to set up the Redis stores.
#[derive(Debug, thiserror::Error)]
pub enum RedisSetupError {
    /// The URL cannot be used; the message never contains the password.
    #[error("invalid Redis URL {url}: {problem}")]
    Url { url: String, problem: UrlProblem },
    /// The pool needs at least one connection.
    #[error("Redis pool size must be at least 1")]
    PoolSize,
    /// The TLS settings could not be built.
    #[error("Redis client setup failed")]
    Client(#[source] RedisError),
}

/// Returns whether `error` means Redis is down, unreachable, slow or not ready yet, as opposed
/// to a fault in a command or script.
pub(crate) fn is_outage(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::ReadOnly
            ) | ErrorKind::AuthenticationFailed
        )
}

/// Translates a redis-rs error of the operation `context` into a [`StoreError`]: an outage
/// becomes [`StoreError::Unavailable`], anything else [`StoreError::Other`].
pub(crate) fn store_error(context: &'static str, error: RedisError) -> StoreError {
    if is_outage(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::other(context, error)
    }
}

/// A script reply that does not have the shape the adapter expects.
#[derive(Debug, thiserror::Error)]
#[error("unexpected answer from a Redis script: {0}")]
pub(crate) struct UnexpectedReply(pub(crate) String);
