//! Cross-site request forgery rules for browser sessions.
//!
//! In cookie mode a browser keeps the refresh token in an HttpOnly cookie, which it attaches to
//! every request to the API, including requests a hostile page makes it send. A request that
//! relies on that cookie and changes state must therefore prove it comes from a page of ours:
//! it repeats the value of the readable CSRF cookie in the `X-CSRF-Token` header (double submit,
//! which a page of another origin cannot read) and carries an `Origin` that is listed or is the
//! service's own. Requests authenticated by an `Authorization` header are exempt, since a hostile
//! page cannot make a browser add that header.

/// Name of the cookie that carries the refresh token in cookie mode.
pub const REFRESH_COOKIE: &str = "__Host-rampart-refresh";
/// Name of the cookie whose value the page repeats in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "__Host-rampart-csrf";
/// Header that carries the CSRF cookie's value.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Request facts the CSRF check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrfRequest<'a> {
    /// True for methods other than GET, HEAD and OPTIONS.
    pub unsafe_method: bool,
    /// True when the request carries `Authorization: Bearer`.
    pub bearer: bool,
    /// True when the request carries the refresh cookie.
    pub session_cookie: bool,
    pub cookie_token: Option<&'a str>,
    pub header_token: Option<&'a str>,
    /// `None` without an `Origin` header; otherwise whether the origin is listed or our own.
    pub origin_allowed: Option<bool>,
}

/// Reason a request failed the CSRF check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    MissingToken,
    TokenMismatch,
    MissingOrigin,
    OriginNotAllowed,
}

impl CsrfFailure {
    /// Returns the snake-case reason written to the security log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_csrf_token",
            Self::TokenMismatch => "csrf_token_mismatch",
            Self::MissingOrigin => "missing_origin",
            Self::OriginNotAllowed => "origin_not_allowed",
        }
    }
}

/// The outcome of the CSRF check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfDecision {
    /// A safe method, a bearer request or no session cookie: nothing to check.
    NotApplicable,
    Allowed,
    Rejected(CsrfFailure),
}

/// Decides whether a request passes the CSRF check.
pub fn check(request: &CsrfRequest<'_>) -> CsrfDecision {
    if !request.unsafe_method || request.bearer || !request.session_cookie {
        return CsrfDecision::NotApplicable;
    }
    let (Some(cookie), Some(header)) = (request.cookie_token, request.header_token) else {
        return CsrfDecision::Rejected(CsrfFailure::MissingToken);
    };
    if cookie.is_empty() || !constant_time_eq(cookie.as_bytes(), header.as_bytes()) {
        return CsrfDecision::Rejected(CsrfFailure::TokenMismatch);
    }
    match request.origin_allowed {
        None => CsrfDecision::Rejected(CsrfFailure::MissingOrigin),
        Some(false) => CsrfDecision::Rejected(CsrfFailure::OriginNotAllowed),
        Some(true) => CsrfDecision::Allowed,
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_post<'a>() -> CsrfRequest<'a> {
        CsrfRequest {
            unsafe_method: true,
            bearer: false,
            session_cookie: true,
            cookie_token: Some("token-1"),
            header_token: Some("token-1"),
            origin_allowed: Some(true),
        }
    }

    #[test]
    fn matching_token_and_origin_pass() {
        assert_eq!(check(&cookie_post()), CsrfDecision::Allowed);
    }

    #[test]
    fn missing_header_is_rejected() {
        let request = CsrfRequest {
            header_token: None,
            ..cookie_post()
        };

        assert_eq!(
            check(&request),
            CsrfDecision::Rejected(CsrfFailure::MissingToken)
        );
    }

    #[test]
    fn different_token_is_rejected() {
        let request = CsrfRequest {
            header_token: Some("token-2"),
            ..cookie_post()
        };

        assert_eq!(
            check(&request),
            CsrfDecision::Rejected(CsrfFailure::TokenMismatch)
        );
    }

    #[test]
    fn empty_tokens_are_rejected() {
        let request = CsrfRequest {
            cookie_token: Some(""),
            header_token: Some(""),
            ..cookie_post()
        };

        assert_eq!(
            check(&request),
            CsrfDecision::Rejected(CsrfFailure::TokenMismatch)
        );
    }

    #[test]
    fn missing_origin_is_rejected() {
        let request = CsrfRequest {
            origin_allowed: None,
            ..cookie_post()
        };

        assert_eq!(
            check(&request),
            CsrfDecision::Rejected(CsrfFailure::MissingOrigin)
        );
    }

    #[test]
    fn foreign_origin_is_rejected() {
        let request = CsrfRequest {
            origin_allowed: Some(false),
            ..cookie_post()
        };

        assert_eq!(
            check(&request),
            CsrfDecision::Rejected(CsrfFailure::OriginNotAllowed)
        );
    }

    #[test]
    fn bearer_requests_are_exempt() {
        let request = CsrfRequest {
            bearer: true,
            header_token: None,
            ..cookie_post()
        };

        assert_eq!(check(&request), CsrfDecision::NotApplicable);
    }

    #[test]
    fn safe_methods_are_exempt() {
        let request = CsrfRequest {
            unsafe_method: false,
            header_token: None,
            ..cookie_post()
        };

        assert_eq!(check(&request), CsrfDecision::NotApplicable);
    }
}
