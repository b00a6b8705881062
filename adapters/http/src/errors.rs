//! The one place where use-case errors become problem details.
//!
//! Handlers only call `map_err(ProblemResponse::from)`. Every 5xx is logged here once, with its
//! full error chain, inside the request span that carries the request id; its body names nothing
//! of the cause.

use std::error::Error as StdError;

use rampart_domain::permission::DenyReason;
use rampart_ports::StoreError;
use rampart_ports::usecases::{
    AccountError, AuthError, CategoryError, FieldErrors, LoginError, PostError, RefreshError,
    RegisterError, UploadError,
};

use crate::problem::{ProblemKind, ProblemResponse};

/// Seconds a client should wait before retrying after a 503 from an overloaded dependency.
const BUSY_RETRY_SECONDS: i64 = 1;

fn validation(errors: FieldErrors) -> ProblemResponse {
    ProblemResponse::new(
        ProblemKind::Validation,
        "One or more fields are invalid; see `errors` for each field and fix them before retrying.",
    )
    .with_errors(errors.fields().clone())
}

/// Returns whether a store in the error's chain reported itself unavailable, such as Redis
/// during an outage.
fn is_unavailable(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(next) = current {
        if matches!(
            next.downcast_ref::<StoreError>(),
            Some(StoreError::Unavailable(_))
        ) {
            return true;
        }
        current = next.source();
    }
    false
}

/// Logs an unexpected error with its chain and returns a 500 that names nothing of it, or the
/// 503 of [`unavailable`] when a store was unavailable, so that lockout and revocation checks
/// fail closed with a status the client can retry.
fn internal(error: &(dyn StdError + 'static)) -> ProblemResponse {
    if is_unavailable(error) {
        return unavailable(error);
    }
    tracing::error!(error = %chain(error), "request failed");
    ProblemResponse::new(
        ProblemKind::Internal,
        "The server failed to complete the request. Retry later; if it persists, report the request id.",
    )
}

fn busy() -> ProblemResponse {
    tracing::warn!("password hashing queue full");
    ProblemResponse::new(
        ProblemKind::Unavailable,
        "The server is busy. Retry after the time in Retry-After.",
    )
    .retry_after(time::Duration::seconds(BUSY_RETRY_SECONDS))
}

fn unavailable(error: &(dyn StdError + 'static)) -> ProblemResponse {
    tracing::error!(error = %chain(error), "dependency unavailable");
    ProblemResponse::new(
        ProblemKind::Unavailable,
        "A service this request depends on is unavailable. Retry later.",
    )
    .retry_after(time::Duration::seconds(BUSY_RETRY_SECONDS))
}

fn forbidden(reason: DenyReason) -> ProblemResponse {
    let detail = match reason {
        DenyReason::NotAuthenticated => "This operation needs an authenticated user.",
        DenyReason::NotOwner => "Only the owner of this resource may change or delete it.",
        DenyReason::NotAdmin => "Only admins may do this.",
    };
    ProblemResponse::new(ProblemKind::PermissionDenied, detail)
}

/// Formats an error with every source, separated by `: `.
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

impl From<RegisterError> for ProblemResponse {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::Invalid(errors) => validation(errors),
            RegisterError::Conflict => ProblemResponse::new(
                ProblemKind::Conflict,
                "The username or email is not available. Choose another.",
            ),
            RegisterError::Throttled { retry_after } => ProblemResponse::new(
                ProblemKind::RateLimited,
                "Too many registrations from this address. Retry after the time in Retry-After.",
            )
            .retry_after(retry_after),
            RegisterError::Busy => busy(),
            RegisterError::Internal(_) => internal(&error),
        }
    }
}

impl From<LoginError> for ProblemResponse {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Invalid(errors) => validation(errors),
            LoginError::InvalidCredentials => ProblemResponse::new(
                ProblemKind::Unauthorized,
                "The username or password is incorrect.",
            ),
            LoginError::Locked { retry_after } => ProblemResponse::new(
                ProblemKind::AccountLocked,
                "Too many failed logins for this account from this address. Retry after the time in Retry-After.",
            )
            .retry_after(retry_after),
            LoginError::Throttled { retry_after } => ProblemResponse::new(
                ProblemKind::RateLimited,
                "Too many login attempts. Retry after the time in Retry-After.",
            )
            .retry_after(retry_after),
            LoginError::Busy => busy(),
            LoginError::Internal(_) => internal(&error),
        }
    }
}

impl From<RefreshError> for ProblemResponse {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::Invalid => ProblemResponse::new(
                ProblemKind::Unauthorized,
                "The refresh token is invalid, expired or revoked. Log in again.",
            ),
            RefreshError::Superseded => ProblemResponse::new(
                ProblemKind::RefreshTokenSuperseded,
                "Another request rotated this refresh token a moment ago. Use the newest token pair.",
            ),
            RefreshError::Reused => ProblemResponse::new(
                ProblemKind::TokenRevoked,
                "This refresh token was already used, so its session was revoked. Log in again.",
            ),
            RefreshError::Internal(_) => internal(&error),
        }
    }
}

impl From<AuthError> for ProblemResponse {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid => ProblemResponse::new(
                ProblemKind::Unauthorized,
                "The access token is invalid. Send a valid token in `Authorization: Bearer`.",
            ),
            AuthError::Expired => ProblemResponse::new(
                ProblemKind::Unauthorized,
                "The access token has expired. Get a new one from /api/v1/auth/refresh.",
            ),
            AuthError::Revoked => ProblemResponse::new(
                ProblemKind::TokenRevoked,
                "The access token was revoked. Log in again.",
            ),
            AuthError::Unavailable(_) => unavailable(&error),
            AuthError::Internal(_) => internal(&error),
        }
    }
}

impl From<AccountError> for ProblemResponse {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound => {
                ProblemResponse::new(ProblemKind::NotFound, "The account no longer exists.")
            }
            AccountError::Invalid(errors) => validation(errors),
            AccountError::Conflict => ProblemResponse::new(
                ProblemKind::Conflict,
                "The username or email is not available. Choose another.",
            ),
            AccountError::Throttled { retry_after } => ProblemResponse::new(
                ProblemKind::RateLimited,
                "Too many changes to this account. Retry after the time in Retry-After.",
            )
            .retry_after(retry_after),
            AccountError::Busy => busy(),
            AccountError::Internal(_) => internal(&error),
        }
    }
}

impl From<PostError> for ProblemResponse {
    fn from(error: PostError) -> Self {
        match error {
            PostError::NotFound => {
                ProblemResponse::new(ProblemKind::NotFound, "No post has this id.")
            }
            PostError::Invalid(errors) => validation(errors),
            PostError::Forbidden(reason) => forbidden(reason),
            PostError::AccountNotFound => {
                ProblemResponse::new(ProblemKind::Unauthorized, "The account no longer exists.")
            }
            PostError::Internal(_) => internal(&error),
        }
    }
}

impl From<CategoryError> for ProblemResponse {
    fn from(error: CategoryError) -> Self {
        match error {
            CategoryError::NotFound => {
                ProblemResponse::new(ProblemKind::NotFound, "No category has this id.")
            }
            CategoryError::Invalid(errors) => validation(errors),
            CategoryError::Conflict => ProblemResponse::new(
                ProblemKind::Conflict,
                "A category with this name exists. Choose another name.",
            ),
            CategoryError::Forbidden(reason) => forbidden(reason),
            CategoryError::Internal(_) => internal(&error),
        }
    }
}

impl From<UploadError> for ProblemResponse {
    fn from(error: UploadError) -> Self {
        match error {
            UploadError::Rejected(rejection) => {
                let kind = if rejection.is_too_large() {
                    ProblemKind::PayloadTooLarge
                } else {
                    ProblemKind::UploadRejected
                };
                let message = rejection.to_string();
                let mut errors = std::collections::BTreeMap::new();
                errors.insert("file".to_owned(), vec![message.clone()]);
                ProblemResponse::new(
                    kind,
                    format!(
                        "The upload breaks the rule `{}`: {message}.",
                        rejection.rule()
                    ),
                )
                .with_errors(errors)
                .with_rule(rejection.rule())
            }
            UploadError::NotFound => {
                ProblemResponse::new(ProblemKind::NotFound, "No upload has this id.")
            }
            UploadError::Forbidden(reason) => forbidden(reason),
            UploadError::AccountNotFound => {
                ProblemResponse::new(ProblemKind::Unauthorized, "The account no longer exists.")
            }
            UploadError::Internal(_) => internal(&error),
        }
    }
}
