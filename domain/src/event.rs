//! Security events: what happened, to whom, from where.
//!
//! Event names are the literal strings operators `grep` for in `logs/security.log`. An event never
//! carries a password, a token or key material.

use std::net::IpAddr;

use crate::user::UserId;

/// Kinds of security event, each with its fixed log name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    FailedLogin,
    AccountLocked,
    RateLimit,
    IpBlocked,
    UserAgentBlocked,
    SqlInjection,
    Xss,
    PathTraversal,
    PermissionDenied,
    CsrfFailure,
    CorsRejected,
    TokenRevoked,
    RefreshTokenReuse,
    UploadRejected,
    PasswordChanged,
    AccountDeleted,
    KeyRotated,
}

impl SecurityEventKind {
    /// Returns the literal event name written to the security log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::FailedLogin => "failed_login",
            Self::AccountLocked => "account_locked",
            Self::RateLimit => "rate_limit",
            Self::IpBlocked => "ip_blocked",
            Self::UserAgentBlocked => "user_agent_blocked",
            Self::SqlInjection => "sql_injection",
            Self::Xss => "xss",
            Self::PathTraversal => "path_traversal",
            Self::PermissionDenied => "permission_denied",
            Self::CsrfFailure => "csrf_failure",
            Self::CorsRejected => "cors_rejected",
            Self::TokenRevoked => "token_revoked",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::UploadRejected => "upload_rejected",
            Self::PasswordChanged => "password_changed",
            Self::AccountDeleted => "account_deleted",
            Self::KeyRotated => "key_rotated",
        }
    }
}

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub kind: SecurityEventKind,
    pub user_id: Option<UserId>,
    /// The username of the account an event is about. Login events leave it out when the
    /// identifier names no account, because it may be a mistyped password.
    pub username: Option<String>,
    pub client_ip: Option<IpAddr>,
    /// The resource acted on, such as `post:<uuid>`.
    pub resource: Option<String>,
    /// The attempted action, such as `update`.
    pub action: Option<String>,
    /// Why the event happened, in a few words.
    pub reason: String,
}

impl SecurityEvent {
    /// Starts an event of `kind` with a reason; the builder methods add the rest.
    pub fn new(kind: SecurityEventKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            user_id: None,
            username: None,
            client_ip: None,
            resource: None,
            action: None,
            reason: reason.into(),
        }
    }

    /// Sets the user the event is about.
    pub fn user(mut self, user_id: UserId) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Sets the normalized username the event is about.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the client IP.
    pub fn client_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.client_ip = ip;
        self
    }

    /// Sets the resource and the attempted action.
    pub fn target(mut self, resource: impl Into<String>, action: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self.action = Some(action.into());
        self
    }
}
