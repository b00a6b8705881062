//! Registration, login and refresh: the use cases that hand out tokens.

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::lockout::LoginGate;
use rampart_domain::password::{PASSWORD_MAX, Password};
use rampart_domain::throttle::limits;
use rampart_domain::token::{
    ACCESS_TOKEN_TTL, AccessClaims, FamilyId, REFRESH_TOKEN_TTL, RefreshClaims, RefreshFamily,
    RotationDecision, TokenId,
};
use rampart_domain::user::{Email, Role, User, UserId, Username, normalize_identifier};
use time::{Duration, OffsetDateTime};
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::context::{Deps, RequestContext};
use super::fields::FieldErrors;
use super::user_cache::renew_stamp;
use crate::error::{BoxError, StoreError};
use crate::services::{HashError, TokenError, Verification};
use crate::stores::{LoginKey, RateCheck};

/// A new pair of tokens, with their lifetimes.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_in: Duration,
    pub refresh_expires_in: Duration,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPair(<redacted>)")
    }
}

/// A registration as the client sent it.
#[derive(Debug, Clone)]
pub struct RegisterRequest {
    pub username: String,
    pub email: String,
    pub password: Password,
}

/// Failure of a registration.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// One or more fields are invalid; every problem is listed.
    #[error("invalid registration")]
    Invalid(FieldErrors),
    /// The username or email belongs to an existing account. The response does not name which,
    /// so that registration does not reveal who has an account.
    #[error("username or email not available")]
    Conflict,
    /// Too many registrations from this client IP.
    #[error("too many registrations")]
    Throttled { retry_after: Duration },
    /// The password hashing queue is full.
    #[error("server busy")]
    Busy,
    #[error("registration failed")]
    Internal(#[source] BoxError),
}

/// Maximum length in bytes of a login identifier.
///
/// It is the longest email address that SMTP can deliver to (RFC 5321 limits a forward path to
/// 256 octets, angle brackets included). Longer identifiers are rejected before they are
/// normalized, counted or logged.
pub const LOGIN_IDENTIFIER_MAX: usize = 254;

/// A login as the client sent it: `username` may also be the account's email.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub username: String,
    pub password: Password,
}

/// Failure of a login.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The request itself is malformed (such as a password longer than any account can have).
    #[error("invalid login request")]
    Invalid(FieldErrors),
    /// Unknown user or wrong password; the response is the same for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// This username is locked for this client IP.
    #[error("account locked")]
    Locked { retry_after: Duration },
    /// Too many failures from this client IP, or the username is under the progressive delay.
    #[error("too many login attempts")]
    Throttled { retry_after: Duration },
    /// The password hashing queue is full.
    #[error("server busy")]
    Busy,
    #[error("login failed")]
    Internal(#[source] BoxError),
}

/// Failure of a token refresh.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Malformed, expired, revoked, or not a refresh token.
    #[error("invalid refresh token")]
    Invalid,
    /// A concurrent refresh rotated this token a moment ago; the family is untouched.
    #[error("refresh token superseded")]
    Superseded,
    /// The token was used before: the whole family is now revoked.
    #[error("refresh token reused")]
    Reused,
    #[error("refresh failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for RegisterError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<HashError> for RegisterError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Internal(source) => Self::Internal(source),
        }
    }
}

impl From<StoreError> for LoginError {
    fn from(error: StoreError) -> Self {
        match error {
            // The account was deleted while it logged in, so its new session has no user.
            StoreError::MissingReference { .. } => Self::InvalidCredentials,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<HashError> for LoginError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Internal(source) => Self::Internal(source),
        }
    }
}

impl From<TokenError> for LoginError {
    fn from(error: TokenError) -> Self {
        Self::Internal(error.into())
    }
}

impl From<StoreError> for RefreshError {
    fn from(error: StoreError) -> Self {
        Self::Internal(error.into())
    }
}

/// Registration, login and refresh.
#[derive(Clone)]
pub struct Auth {
    deps: Deps,
}

impl Auth {
    /// Builds the use case on shared ports.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Registers a member account.
    ///
    /// Validation runs first and lists every problem; the registration throttle (3 per hour per
    /// client IP) counts only requests that pass validation.
    ///
    /// # Errors
    /// See [`RegisterError`].
    #[instrument(skip_all, fields(request_id = %context.request_id))]
    pub async fn register(
        &self,
        context: &RequestContext,
        request: RegisterRequest,
    ) -> Result<User, RegisterError> {
        let account = validate_account(&request.username, &request.email);
        let mut errors = account.as_ref().err().cloned().unwrap_or_default();
        let broken = self.deps.password_policy.violations(
            &request.password,
            &normalize_identifier(&request.username),
            &request.email.trim().to_lowercase(),
        );
        for rule in broken {
            errors.add("password", rule);
        }
        errors.into_result().map_err(RegisterError::Invalid)?;
        let (username, email) = account.map_err(RegisterError::Invalid)?;

        let now = self.deps.clock.now();
        let check = RateCheck {
            key: format!("register:{}", context.ip_or_unspecified()),
            limit: limits::REGISTRATION,
        };
        let decisions = self.deps.rate_limits.admit(&[check], now).await?;
        if let Some(rejected) = decisions.iter().find(|d| !d.allowed) {
            self.deps.record(
                context,
                SecurityEvent::new(SecurityEventKind::RateLimit, "registration limit reached")
                    .username(username.as_str()),
            );
            return Err(RegisterError::Throttled {
                retry_after: rejected.retry_after.unwrap_or(Duration::SECOND),
            });
        }

        let password_hash = self.deps.hasher.hash(&request.password).await?;
        let user = User {
            id: UserId::from_uuid(Uuid::new_v4()),
            username,
            email,
            role: Role::Member,
            password_hash,
            created_at: now,
        };
        self.deps.users.insert(&user).await?;
        info!(user.id = %user.id, "registered user");
        Ok(user)
    }

    /// Logs a user in by username or email, under the lockout policy, and starts a new refresh
    /// family.
    ///
    /// # Errors
    /// See [`LoginError`].
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id))]
    pub async fn login(
        &self,
        context: &RequestContext,
        request: LoginRequest,
    ) -> Result<TokenPair, LoginError> {
        if request.username.len() > LOGIN_IDENTIFIER_MAX {
            return Err(LoginError::Invalid(FieldErrors::single(
                "username",
                format!("must be at most {LOGIN_IDENTIFIER_MAX} bytes long"),
            )));
        }
        if request.password.char_count() > PASSWORD_MAX {
            return Err(LoginError::Invalid(FieldErrors::single(
                "password",
                format!("must be at most {PASSWORD_MAX} characters long"),
            )));
        }
        let identifier = normalize_identifier(&request.username);
        if identifier.is_empty() {
            return Err(LoginError::Invalid(FieldErrors::single(
                "username",
                "must not be empty",
            )));
        }

        let user = self.find_login_user(&identifier).await?;
        let key = LoginKey {
            username: user
                .as_ref()
                .map_or(identifier, |u| u.username.as_str().to_owned()),
            client_ip: context.ip_or_unspecified(),
        };
        let now = self.deps.clock.now();
        let policy = &self.deps.lockout_policy;

        let locks_on_failure = match self.deps.login_attempts.admit(&key, policy, now).await? {
            LoginGate::Proceed { locks_on_failure } => locks_on_failure,
            LoginGate::Locked { retry_after } => {
                warn!(
                    user.id = user.as_ref().map(|u| tracing::field::display(u.id)),
                    "login rejected: pair locked"
                );
                return Err(LoginError::Locked { retry_after });
            }
            LoginGate::Delayed { retry_after } | LoginGate::Throttled { retry_after } => {
                self.deps.record(
                    context,
                    about_account(
                        SecurityEvent::new(SecurityEventKind::RateLimit, "login attempts limited"),
                        user.as_ref(),
                    ),
                );
                return Err(LoginError::Throttled { retry_after });
            }
        };

        let verification = match self.verify_login(user.as_ref(), &request.password).await {
            Ok(verification) => verification,
            Err(error) => {
                // The password was never checked, so the attempt is not a failure. Counting it
                // would let a full hashing queue lock out the right password.
                if let Err(release_error) = self.deps.login_attempts.release(&key, policy).await {
                    warn!(error = %release_error, "failed to take back an unchecked login attempt");
                }
                return Err(error.into());
            }
        };
        let Some(user) = user else {
            self.record_failure(context, None, locks_on_failure);
            return Err(LoginError::InvalidCredentials);
        };
        let Verification::Valid { needs_rehash } = verification else {
            self.record_failure(context, Some(&user), locks_on_failure);
            return Err(LoginError::InvalidCredentials);
        };

        tracing::Span::current().record("user.id", tracing::field::display(user.id));
        self.deps.login_attempts.succeed(&key, policy).await?;
        if needs_rehash {
            self.upgrade_hash(&user, &request.password).await;
        }
        let pair = self.start_family(&user, now).await?;
        info!("user logged in");
        Ok(pair)
    }

    /// Rotates a refresh token: the presented token is spent and a new pair of the same family
    /// is issued.
    ///
    /// # Errors
    /// See [`RefreshError`].
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id, family.id))]
    pub async fn refresh(
        &self,
        context: &RequestContext,
        refresh_token: &str,
    ) -> Result<TokenPair, RefreshError> {
        let now = self.deps.clock.now();
        let claims = self
            .deps
            .tokens
            .verify_refresh(refresh_token, now)
            .map_err(|_| RefreshError::Invalid)?;
        let span = tracing::Span::current();
        span.record("user.id", tracing::field::display(claims.user_id));
        span.record("family.id", tracing::field::display(claims.family_id));

        let next = TokenId::from_uuid(Uuid::new_v4());
        match self
            .deps
            .families
            .rotate(claims.family_id, claims.token_id, next, now)
            .await?
        {
            RotationDecision::Rotate => {}
            RotationDecision::Superseded => return Err(RefreshError::Superseded),
            RotationDecision::Revoked => return Err(RefreshError::Invalid),
            RotationDecision::Reuse => {
                self.deps
                    .revocations
                    .revoke_families(&[claims.family_id], now + ACCESS_TOKEN_TTL)
                    .await?;
                self.deps.record(
                    context,
                    SecurityEvent::new(
                        SecurityEventKind::RefreshTokenReuse,
                        "used refresh token presented again; family revoked",
                    )
                    .user(claims.user_id),
                );
                return Err(RefreshError::Reused);
            }
        }

        let Some(user) = self.deps.users.find_by_id(claims.user_id).await? else {
            return Err(RefreshError::Invalid);
        };
        let pair = self
            .issue_pair(&user, claims.family_id, next, now)
            .map_err(|e| RefreshError::Internal(e.into()))?;
        info!("refresh token rotated");
        Ok(pair)
    }

    async fn find_login_user(&self, identifier: &str) -> Result<Option<User>, LoginError> {
        if identifier.contains('@') {
            return match Email::parse(identifier) {
                Ok(email) => Ok(self.deps.users.find_by_email(&email).await?),
                Err(_) => Ok(None),
            };
        }
        match Username::parse(identifier) {
            Ok(username) => Ok(self.deps.users.find_by_username(&username).await?),
            Err(_) => Ok(None),
        }
    }

    /// Verifies the password against the account's hash, or against the dummy hash for an
    /// unknown account so that both take the same time.
    async fn verify_login(
        &self,
        user: Option<&User>,
        password: &Password,
    ) -> Result<Verification, HashError> {
        match user {
            Some(user) => self.deps.hasher.verify(password, &user.password_hash).await,
            None => {
                self.deps.hasher.verify_dummy(password).await?;
                Ok(Verification::Invalid)
            }
        }
    }

    /// Records the `failed_login` event of a counted failure, and `account_locked` when that
    /// failure locked the pair.
    fn record_failure(
        &self,
        context: &RequestContext,
        user: Option<&User>,
        locks_on_failure: bool,
    ) {
        let reason = if user.is_some() {
            "invalid credentials"
        } else {
            "unknown account"
        };
        self.deps.record(
            context,
            about_account(
                SecurityEvent::new(SecurityEventKind::FailedLogin, reason),
                user,
            ),
        );
        if locks_on_failure {
            self.deps.record(
                context,
                about_account(
                    SecurityEvent::new(
                        SecurityEventKind::AccountLocked,
                        "too many failed logins from one address",
                    ),
                    user,
                ),
            );
        }
    }

    /// Rehashes a password whose hash uses older parameters. A failure only delays the upgrade
    /// to a later login, so it is logged and not returned.
    async fn upgrade_hash(&self, user: &User, password: &Password) {
        let result = match self.deps.hasher.hash(password).await {
            Ok(hash) => self
                .deps
                .users
                .update_password_hash(user.id, &hash)
                .await
                .map_err(BoxError::from),
            Err(error) => Err(error.into()),
        };
        match result {
            Ok(()) => {
                renew_stamp(&self.deps, user.id).await;
                info!(user.id = %user.id, "upgraded password hash parameters");
            }
            Err(error) => warn!(user.id = %user.id, error = %error, "password hash upgrade failed"),
        }
    }

    async fn start_family(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<TokenPair, LoginError> {
        let token_id = TokenId::from_uuid(Uuid::new_v4());
        let family = RefreshFamily {
            id: FamilyId::from_uuid(Uuid::new_v4()),
            user_id: user.id,
            current_token: token_id,
            previous_token: None,
            created_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
            revoked: false,
        };
        self.deps.families.create(&family).await?;
        Ok(self.issue_pair(user, family.id, token_id, now)?)
    }

    fn issue_pair(
        &self,
        user: &User,
        family_id: FamilyId,
        refresh_id: TokenId,
        now: OffsetDateTime,
    ) -> Result<TokenPair, TokenError> {
        let access = AccessClaims::new(
            user.id,
            user.role,
            TokenId::from_uuid(Uuid::new_v4()),
            family_id,
            now,
        );
        let refresh = RefreshClaims::new(user.id, refresh_id, family_id, now);
        Ok(TokenPair {
            access_token: self.deps.tokens.issue_access(&access)?,
            refresh_token: self.deps.tokens.issue_refresh(&refresh)?,
            access_expires_in: ACCESS_TOKEN_TTL,
            refresh_expires_in: REFRESH_TOKEN_TTL,
        })
    }
}

/// Adds the account's id and username to a login event. An identifier that names no account
/// is left out: it may be a password typed into the wrong field, or junk.
fn about_account(event: SecurityEvent, user: Option<&User>) -> SecurityEvent {
    match user {
        Some(user) => event.user(user.id).username(user.username.as_str()),
        None => event,
    }
}

/// Validates a username and an email together, listing the problems of both.
pub(crate) fn validate_account(
    username: &str,
    email: &str,
) -> Result<(Username, Email), FieldErrors> {
    let mut errors = FieldErrors::new();
    let username = Username::parse(username)
        .map_err(|e| errors.add("username", e))
        .ok();
    let email = Email::parse(email).map_err(|e| errors.add("email", e)).ok();
    match (username, email) {
        (Some(username), Some(email)) => Ok((username, email)),
        _ => Err(errors),
    }
}
