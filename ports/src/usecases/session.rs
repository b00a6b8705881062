//! Authentication of requests and logout.

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::permission::Actor;
use rampart_domain::token::{ACCESS_TOKEN_TTL, AccessClaims};
use tracing::{info, instrument};

use super::context::{Deps, RequestContext};
use crate::error::{BoxError, StoreError};
use crate::services::TokenError;
use crate::stores::{TokenStatus, UserStamp};

/// An authenticated request: the verified claims of its access token, and the stamp its user
/// had when the request was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub claims: AccessClaims,
    pub user_stamp: UserStamp,
}

impl Session {
    /// Returns the user behind the session, for permission checks.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.claims.user_id,
            role: self.claims.role,
        }
    }
}

/// Why a request could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Malformed, tampered, of another purpose or key, or not yet valid.
    #[error("invalid access token")]
    Invalid,
    /// Past its expiry.
    #[error("access token expired")]
    Expired,
    /// Revoked by logout, refresh-token reuse, a password change or account deletion.
    #[error("access token revoked")]
    Revoked,
    /// The revocation list cannot be checked, so the request is rejected (fail closed).
    #[error("revocation check unavailable")]
    Unavailable(#[source] BoxError),
    #[error("authentication failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(source) => Self::Unavailable(source),
            other => Self::Internal(other.into()),
        }
    }
}

/// Request authentication and logout.
#[derive(Clone)]
pub struct Sessions {
    deps: Deps,
}

impl Sessions {
    /// Builds the use case on shared ports.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Verifies an access token, checks that neither it nor its family is revoked, and reads
    /// its user's stamp.
    ///
    /// # Errors
    /// See [`AuthError`].
    pub async fn authenticate(&self, access_token: &str) -> Result<Session, AuthError> {
        let now = self.deps.clock.now();
        let claims =
            self.deps
                .tokens
                .verify_access(access_token, now)
                .map_err(|error| match error {
                    TokenError::Expired => AuthError::Expired,
                    TokenError::Invalid => AuthError::Invalid,
                    TokenError::Internal(source) => AuthError::Internal(source),
                })?;
        self.check_revocation(claims, now).await
    }

    /// Authenticates with claims that [`TokenCodec::verify_access`] returned earlier for the
    /// same request: checks their expiry again at the current time and the revocation list,
    /// and reads the user's stamp. This spares a second signature verification when a
    /// middleware verified the token first.
    ///
    /// # Errors
    /// [`AuthError::Expired`], [`AuthError::Revoked`], or a store failure.
    ///
    /// [`TokenCodec::verify_access`]: crate::TokenCodec::verify_access
    pub async fn authenticate_verified(&self, claims: AccessClaims) -> Result<Session, AuthError> {
        let now = self.deps.clock.now();
        if claims.expires_at <= now {
            return Err(AuthError::Expired);
        }
        self.check_revocation(claims, now).await
    }

    /// Authenticates with claims that [`TokenCodec::verify_access`] returned earlier for the
    /// same request, and the status the shared stores reported in that request.
    ///
    /// The status comes from [`RateLimitStore::admit_with_status`], so no second read is made.
    /// The expiry is checked again at the current time.
    ///
    /// # Errors
    /// [`AuthError::Expired`] or [`AuthError::Revoked`].
    ///
    /// [`TokenCodec::verify_access`]: crate::TokenCodec::verify_access
    /// [`RateLimitStore::admit_with_status`]: crate::RateLimitStore::admit_with_status
    pub fn authenticate_checked(
        &self,
        claims: AccessClaims,
        status: TokenStatus,
    ) -> Result<Session, AuthError> {
        if claims.expires_at <= self.deps.clock.now() {
            return Err(AuthError::Expired);
        }
        if status.revoked {
            return Err(AuthError::Revoked);
        }
        Ok(Session {
            claims,
            user_stamp: status.user_stamp,
        })
    }

    async fn check_revocation(
        &self,
        claims: AccessClaims,
        now: time::OffsetDateTime,
    ) -> Result<Session, AuthError> {
        // The two reads run concurrently, so on Redis they can share one pipelined round trip.
        let (revoked, user_stamp) = futures_util::future::try_join(
            self.deps
                .revocations
                .is_revoked(claims.token_id, claims.family_id, now),
            self.deps.user_stamps.current(claims.user_id, now),
        )
        .await?;
        if revoked {
            return Err(AuthError::Revoked);
        }
        Ok(Session { claims, user_stamp })
    }

    /// Revokes the session's access token and its whole refresh family.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] or [`AuthError::Internal`] when a store fails; nothing is
    /// reported as done unless both revocations were written.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id))]
    pub async fn logout(
        &self,
        context: &RequestContext,
        session: &Session,
    ) -> Result<(), AuthError> {
        let now = self.deps.clock.now();
        let claims = &session.claims;

        self.deps
            .revocations
            .revoke_token(claims.token_id, claims.expires_at)
            .await?;
        self.deps
            .revocations
            .revoke_families(&[claims.family_id], now + ACCESS_TOKEN_TTL)
            .await?;
        self.deps.families.revoke(claims.family_id).await?;

        self.deps.record(
            context,
            SecurityEvent::new(SecurityEventKind::TokenRevoked, "logout").user(claims.user_id),
        );
        info!("user logged out");
        Ok(())
    }
}
