//! The caller's own account: profile, password change, export and erasure.

use std::sync::Arc;

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::password::Password;
use rampart_domain::post::Post;
use rampart_domain::throttle::{RateLimit, limits};
use rampart_domain::token::{ACCESS_TOKEN_TTL, RefreshFamily};
use rampart_domain::upload::Upload;
use rampart_domain::user::{User, UserId};
use time::Duration;
use tracing::{info, instrument, warn};

use super::auth::validate_account;
use super::context::{Deps, RequestContext};
use super::fields::FieldErrors;
use super::session::Session;
use super::user_cache::{UserCache, renew_stamp};
use crate::error::{BoxError, StoreError};
use crate::services::{HashError, Verification};
use crate::stores::RateCheck;

/// Fields of a profile update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub username: Option<String>,
    pub email: Option<String>,
}

/// Every record Rampart stores about one user.
#[derive(Debug, Clone)]
pub struct UserExport {
    pub user: User,
    pub posts: Vec<Post>,
    pub uploads: Vec<Upload>,
    pub sessions: Vec<RefreshFamily>,
}

/// Failure of an account operation.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The account no longer exists (deleted while the token was still valid).
    #[error("account not found")]
    NotFound,
    #[error("invalid request")]
    Invalid(FieldErrors),
    /// The new username or email belongs to another account.
    #[error("username or email not available")]
    Conflict,
    /// Too many profile or password changes by this user.
    #[error("too many account changes")]
    Throttled { retry_after: Duration },
    /// The password hashing queue is full.
    #[error("server busy")]
    Busy,
    #[error("account operation failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<HashError> for AccountError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Internal(source) => Self::Internal(source),
        }
    }
}

/// The caller's own account.
#[derive(Clone)]
pub struct Accounts {
    deps: Deps,
    cache: Arc<UserCache>,
}

impl Accounts {
    /// Builds the use case on shared ports, with an empty cache of user records.
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            cache: Arc::default(),
        }
    }

    /// Returns the caller's account.
    ///
    /// The record comes from this instance's cache while the user's stamp equals the session's
    /// and the record is less than a minute old, and from the user repository otherwise.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] when the account was deleted.
    pub async fn me(&self, session: &Session) -> Result<User, AccountError> {
        let id = session.claims.user_id;
        let now = self.deps.clock.now();
        if let Some(user) = self.cache.get(id, session.user_stamp, now) {
            return Ok(user);
        }
        // The stamp was read before this load, so a write after the load renews the stamp
        // and a later request misses.
        let user = self.load(session).await?;
        self.cache.put(user.clone(), session.user_stamp, now);
        Ok(user)
    }

    /// Reads the caller's account from the user repository, for changes to it.
    async fn load(&self, session: &Session) -> Result<User, AccountError> {
        self.deps
            .users
            .find_by_id(session.claims.user_id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// Drops this instance's copy of the user's record and renews their stamp after a write
    /// to the record; see [`renew_stamp`].
    async fn changed(&self, user: UserId) {
        self.cache.forget(user);
        renew_stamp(&self.deps, user).await;
    }

    /// Changes the caller's username or email, at most [`limits::PROFILE_CHANGE`] times per
    /// user; every request counts, taken names included.
    ///
    /// # Errors
    /// [`AccountError::Throttled`] past the limit, [`AccountError::Invalid`] for a bad value,
    /// [`AccountError::Conflict`] when taken.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id))]
    pub async fn update_profile(
        &self,
        context: &RequestContext,
        session: &Session,
        change: ProfileChange,
    ) -> Result<User, AccountError> {
        self.throttle(
            context,
            session,
            "profile",
            limits::PROFILE_CHANGE,
            "profile change limit reached",
        )
        .await?;
        let current = self.load(session).await?;
        let username = change
            .username
            .unwrap_or_else(|| current.username.as_str().to_owned());
        let email = change
            .email
            .unwrap_or_else(|| current.email.as_str().to_owned());
        let (username, email) =
            validate_account(&username, &email).map_err(AccountError::Invalid)?;

        let updated = User {
            username,
            email,
            ..current
        };
        if !self.deps.users.update_profile(&updated).await? {
            return Err(AccountError::NotFound);
        }
        self.changed(updated.id).await;
        info!("profile updated");
        Ok(updated)
    }

    /// Changes the caller's password and revokes every other session of the user.
    ///
    /// At most [`limits::PASSWORD_CHANGE`] attempts per user are checked, counted before the
    /// current password is verified; each wrong current password is a `failed_login` event.
    ///
    /// # Errors
    /// [`AccountError::Throttled`] past the limit, [`AccountError::Invalid`] when the current
    /// password is wrong or the new one breaks the policy (every rule listed).
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id))]
    pub async fn change_password(
        &self,
        context: &RequestContext,
        session: &Session,
        current_password: Password,
        new_password: Password,
    ) -> Result<(), AccountError> {
        self.throttle(
            context,
            session,
            "password",
            limits::PASSWORD_CHANGE,
            "password change limit reached",
        )
        .await?;
        let user = self.load(session).await?;
        if self
            .deps
            .hasher
            .verify(&current_password, &user.password_hash)
            .await?
            == Verification::Invalid
        {
            self.deps.record(
                context,
                SecurityEvent::new(SecurityEventKind::FailedLogin, "wrong current password")
                    .user(user.id)
                    .username(user.username.as_str()),
            );
            return Err(AccountError::Invalid(FieldErrors::single(
                "current_password",
                "is incorrect",
            )));
        }
        let mut errors = FieldErrors::new();
        for rule in self.deps.password_policy.violations(
            &new_password,
            user.username.as_str(),
            user.email.as_str(),
        ) {
            errors.add("new_password", rule);
        }
        errors.into_result().map_err(AccountError::Invalid)?;

        let hash = self.deps.hasher.hash(&new_password).await?;
        let revoked = self
            .deps
            .users
            .change_password(user.id, &hash, Some(session.claims.family_id))
            .await?;
        self.changed(user.id).await;
        let now = self.deps.clock.now();
        self.deps
            .revocations
            .revoke_families(&revoked, now + ACCESS_TOKEN_TTL)
            .await?;

        self.deps.record(
            context,
            SecurityEvent::new(
                SecurityEventKind::PasswordChanged,
                "password changed; other sessions revoked",
            )
            .user(user.id),
        );
        info!(sessions.revoked = revoked.len(), "password changed");
        Ok(())
    }

    /// Counts one request of the caller under `<operation>:<user id>` against `limit`, and
    /// records a `rate_limit` event when it is over.
    async fn throttle(
        &self,
        context: &RequestContext,
        session: &Session,
        operation: &str,
        limit: RateLimit,
        reason: &'static str,
    ) -> Result<(), AccountError> {
        let user_id = session.claims.user_id;
        let check = RateCheck {
            key: format!("{operation}:{user_id}"),
            limit,
        };
        let now = self.deps.clock.now();
        let decisions = self.deps.rate_limits.admit(&[check], now).await?;
        let Some(rejected) = decisions.iter().find(|decision| !decision.allowed) else {
            return Ok(());
        };
        self.deps.record(
            context,
            SecurityEvent::new(SecurityEventKind::RateLimit, reason).user(user_id),
        );
        Err(AccountError::Throttled {
            retry_after: rejected.retry_after.unwrap_or(Duration::SECOND),
        })
    }

    /// Returns every record held about the caller.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] when the account was deleted.
    pub async fn export(&self, session: &Session) -> Result<UserExport, AccountError> {
        let user = self.load(session).await?;
        let posts = self.deps.posts.list_by_author(user.id).await?;
        let uploads = self.deps.uploads.list_by_owner(user.id).await?;
        let sessions = self.deps.families.list_for_user(user.id).await?;
        Ok(UserExport {
            user,
            posts,
            uploads,
            sessions,
        })
    }

    /// Erases the caller's account with their posts, uploads (records and files) and sessions,
    /// and revokes every token.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] when the account was already deleted.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id))]
    pub async fn delete(
        &self,
        context: &RequestContext,
        session: &Session,
    ) -> Result<(), AccountError> {
        let user_id = session.claims.user_id;
        let uploads = self.deps.uploads.list_by_owner(user_id).await?;
        let Some(families) = self.deps.users.delete(user_id).await? else {
            return Err(AccountError::NotFound);
        };
        self.changed(user_id).await;
        // The user's upload records went with the account; their files go now. A file that
        // cannot be removed, or one uploaded after the listing above, has no record left, so the
        // startup sweep removes it.
        for upload in &uploads {
            if let Err(error) = self.deps.blobs.remove(upload.id).await {
                warn!(upload.id = %upload.id, error = %error, "upload file left behind; the startup sweep removes it");
            }
        }
        let now = self.deps.clock.now();
        self.deps
            .revocations
            .revoke_families(&families, now + ACCESS_TOKEN_TTL)
            .await?;
        self.deps
            .revocations
            .revoke_token(session.claims.token_id, session.claims.expires_at)
            .await?;

        self.deps.record(
            context,
            SecurityEvent::new(
                SecurityEventKind::AccountDeleted,
                "account erased by its owner",
            )
            .user(user_id),
        );
        info!(uploads.removed = uploads.len(), "account deleted");
        Ok(())
    }
}
