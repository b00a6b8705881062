//! Ports for the services around the stores: hashing, tokens, HTML, time and security events.

use async_trait::async_trait;
use rampart_domain::event::SecurityEvent;
use rampart_domain::password::Password;
use rampart_domain::post::{RawBody, SafeHtml};
use rampart_domain::token::{AccessClaims, RefreshClaims};
use rampart_domain::user::PasswordHash;
use time::OffsetDateTime;

use crate::error::BoxError;

/// Why hashing or verifying a password failed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The hashing queue is full; the caller should retry after a short while.
    #[error("password hashing queue is full")]
    Busy,
    /// The hasher failed, or a stored hash is malformed.
    #[error("password hashing failed")]
    Internal(#[source] BoxError),
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches; `needs_rehash` is true when the hash uses older parameters.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Hashes and verifies passwords.
///
/// Implementations MUST do the expensive work off the async workers and MUST return
/// [`HashError::Busy`] instead of queueing without bound.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password with a fresh salt.
    ///
    /// # Errors
    /// [`HashError::Busy`] when the queue is full, [`HashError::Internal`] otherwise.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    /// Checks a password against a stored hash.
    ///
    /// # Errors
    /// [`HashError::Busy`] when the queue is full, [`HashError::Internal`] for a malformed hash.
    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HashError>;

    /// Spends the same work as [`verify`](Self::verify) against a hash no password matches, so
    /// that a login for an unknown user takes as long as one for a known user.
    ///
    /// # Errors
    /// [`HashError::Busy`] when the queue is full.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
}

/// Why a token was rejected.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, tampered, of another purpose, version or key, or not yet valid.
    #[error("token is invalid")]
    Invalid,
    /// Past its expiry.
    #[error("token has expired")]
    Expired,
    /// Signing failed.
    #[error("token signing failed")]
    Internal(#[source] BoxError),
}

/// Issues and verifies access and refresh tokens.
///
/// Implementations MUST tell access and refresh tokens apart cryptographically, so that neither
/// verifies as the other, and MUST reject tokens of another version or key.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// Signs an access token.
    ///
    /// # Errors
    /// [`TokenError::Internal`] when signing fails.
    fn issue_access(&self, claims: &AccessClaims) -> Result<String, TokenError>;

    /// Signs a refresh token.
    ///
    /// # Errors
    /// [`TokenError::Internal`] when signing fails.
    fn issue_refresh(&self, claims: &RefreshClaims) -> Result<String, TokenError>;

    /// Verifies an access token at `now` and returns its claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] past expiry, [`TokenError::Invalid`] for anything else wrong.
    fn verify_access(&self, token: &str, now: OffsetDateTime) -> Result<AccessClaims, TokenError>;

    /// Verifies a refresh token at `now` and returns its claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] past expiry, [`TokenError::Invalid`] for anything else wrong.
    fn verify_refresh(&self, token: &str, now: OffsetDateTime)
    -> Result<RefreshClaims, TokenError>;
}

/// Turns untrusted HTML into HTML safe to store and render.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait HtmlSanitizer: Send + Sync {
    /// Removes every tag, attribute and URL scheme outside the allowlist.
    fn sanitize(&self, body: &RawBody) -> SafeHtml;
}

/// The source of the current time.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Returns the current time in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// Where security events go.
///
/// Implementations MUST NOT block the caller on slow I/O and MUST NOT fail: an event that
/// cannot be written is reported through the operational log.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait SecurityEventSink: Send + Sync {
    /// Records one event.
    fn record(&self, event: SecurityEvent);
}
