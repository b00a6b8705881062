//! Cross-origin resource sharing: which origins may read responses, and with what.
//!
//! The policy is an exact-origin allowlist. A listed origin gets its own value back in
//! `Access-Control-Allow-Origin`, with credentials allowed. Every other origin, `null` included,
//! gets no CORS header at all, so the browser keeps the response from the page. A wildcard is
//! never produced, and the configuration rejects `*` and `null` as entries.
//!
//! A preflight (an `OPTIONS` request with `Access-Control-Request-Method`) is allowed only when
//! the origin is listed, the method is one of [`ALLOWED_METHODS`] and every requested header is
//! one of [`ALLOWED_HEADERS`]. Anything else rejects the whole preflight.

use std::collections::BTreeSet;

/// Methods a cross-origin request may use.
pub const ALLOWED_METHODS: [&str; 4] = ["GET", "POST", "PATCH", "DELETE"];

/// Request headers a cross-origin request may send, in lowercase.
pub const ALLOWED_HEADERS: [&str; 4] = [
    "authorization",
    "content-type",
    "x-csrf-token",
    "x-request-id",
];

/// Response headers a cross-origin page may read beyond the CORS-safelisted ones.
pub const EXPOSED_HEADERS: [&str; 2] = ["x-request-id", "retry-after"];

/// Seconds a browser may cache a preflight response.
pub const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;

/// The reason an allowlist entry is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("wildcards are not allowed; list each origin")]
    Wildcard,
    #[error("`null` is not allowed: sandboxed pages and files all send it")]
    Null,
    #[error("the scheme must be http or https")]
    Scheme,
    #[error("the host is missing or invalid")]
    Host,
    #[error("the port is invalid")]
    Port,
    #[error(
        "an origin has no path, query, fragment or user name; remove everything after the host and port"
    )]
    Extra,
}

/// Parses an allowlist entry into the serialized origin a browser sends: lowercase scheme and
/// host, and the port only when it is not the scheme's default.
///
/// # Errors
/// [`OriginError`] naming what is wrong with the entry.
pub fn parse_origin(entry: &str) -> Result<String, OriginError> {
    let entry = entry.trim();

    if entry.contains('*') {
        return Err(OriginError::Wildcard);
    }
    if entry.eq_ignore_ascii_case("null") {
        return Err(OriginError::Null);
    }

    let (scheme, rest) = entry.split_once("://").ok_or(OriginError::Scheme)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(OriginError::Scheme),
    };
    if rest.contains(['/', '?', '#', '@']) {
        return Err(OriginError::Extra);
    }

    let (host, port) = split_host_port(rest)?;
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    if !valid_host {
        return Err(OriginError::Host);
    }
    let host = host.to_ascii_lowercase();
    Ok(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Splits `host[:port]`, keeping the brackets of an IPv6 literal with the host.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), OriginError> {
    let (host, port) = if authority.starts_with('[') {
        match authority.split_once("]:") {
            Some((host, port)) => (authority.get(..=host.len()).unwrap_or(host), Some(port)),
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(text) => Some(text.parse::<u16>().map_err(|_| OriginError::Port)?),
        None => None,
    };
    Ok((host, port))
}

/// The outcome for a request that is not a preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsDecision {
    /// No `Origin` header, or the page's own origin: nothing to add.
    NotCrossOrigin,
    /// A listed origin: echo it and allow credentials.
    Allowed { origin: String },
    /// An unlisted origin or `null`: add no CORS header.
    Rejected,
}

/// The reason a preflight was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightRejection {
    /// The origin is not listed, or is `null`.
    Origin,
    /// The requested method is not one of [`ALLOWED_METHODS`].
    Method,
    /// A requested header is not one of [`ALLOWED_HEADERS`].
    Header,
}

/// The outcome of a preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightDecision {
    /// Respond with the allowed methods and headers for `origin`.
    Allowed {
        origin: String,
    },
    Rejected(PreflightRejection),
}

/// The exact-origin allowlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: BTreeSet<String>,
}

impl CorsPolicy {
    /// Builds the policy from allowlist entries, normalized by [`parse_origin`].
    ///
    /// # Errors
    /// The first entry that is not an origin, with its problem.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, OriginError> {
        let origins = entries
            .into_iter()
            .map(parse_origin)
            .collect::<Result<_, _>>()?;
        Ok(Self { origins })
    }

    /// Returns whether no origin is listed.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// Decides a request that is not a preflight. `host` is the request's `Host` header: an
    /// `Origin` whose host and port equal it is the page's own origin, not a cross-origin one.
    pub fn decide(&self, origin: Option<&str>, host: Option<&str>) -> CorsDecision {
        let Some(origin) = origin else {
            return CorsDecision::NotCrossOrigin;
        };
        if self.origins.contains(origin) {
            return CorsDecision::Allowed {
                origin: origin.to_owned(),
            };
        }
        let authority = origin.split_once("://").map(|(_, authority)| authority);
        if authority.is_some_and(|authority| Some(authority) == host) {
            return CorsDecision::NotCrossOrigin;
        }
        CorsDecision::Rejected
    }

    /// Decides a preflight for `origin` asking for `method` and the comma-separated
    /// `request_headers` (the value of `Access-Control-Request-Headers`).
    pub fn preflight(
        &self,
        origin: Option<&str>,
        method: &str,
        request_headers: Option<&str>,
    ) -> PreflightDecision {
        let Some(origin) = origin.filter(|origin| self.origins.contains(*origin)) else {
            return PreflightDecision::Rejected(PreflightRejection::Origin);
        };
        if !ALLOWED_METHODS.contains(&method.trim()) {
            return PreflightDecision::Rejected(PreflightRejection::Method);
        }
        let all_listed = request_headers
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .all(|name| {
                ALLOWED_HEADERS
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(name))
            });
        if !all_listed {
            return PreflightDecision::Rejected(PreflightRejection::Header);
        }
        PreflightDecision::Allowed {
            origin: origin.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy::new(["https://app.example.com", "http://localhost:3000"]).unwrap()
    }

    #[test]
    fn entries_are_normalized() {
        assert_eq!(
            parse_origin("HTTPS://App.Example.com:443").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse_origin("http://[::1]:8080").unwrap(),
            "http://[::1]:8080"
        );
        assert_eq!(
            parse_origin(" http://localhost:3000 ").unwrap(),
            "http://localhost:3000"
        );
    }

    #[test]
    fn bad_entries_are_rejected() {
        assert_eq!(parse_origin("*"), Err(OriginError::Wildcard));
        assert_eq!(
            parse_origin("https://*.example.com"),
            Err(OriginError::Wildcard)
        );
        assert_eq!(parse_origin("null"), Err(OriginError::Null));
        assert_eq!(parse_origin("ftp://example.com"), Err(OriginError::Scheme));
        assert_eq!(parse_origin("example.com"), Err(OriginError::Scheme));
        assert_eq!(
            parse_origin("https://example.com/"),
            Err(OriginError::Extra)
        );
        assert_eq!(
            parse_origin("https://example.com:99999"),
            Err(OriginError::Port)
        );
        assert_eq!(parse_origin("https://"), Err(OriginError::Host));
    }

    #[test]
    fn listed_origin_is_echoed() {
        let decision = policy().decide(Some("https://app.example.com"), Some("api.example.com"));

        assert_eq!(
            decision,
            CorsDecision::Allowed {
                origin: "https://app.example.com".into()
            }
        );
    }

    #[test]
    fn unlisted_and_null_are_rejected() {
        let policy = policy();

        assert_eq!(
            policy.decide(Some("https://evil.example"), None),
            CorsDecision::Rejected
        );
        assert_eq!(policy.decide(Some("null"), None), CorsDecision::Rejected);
        assert_eq!(
            policy.decide(Some("https://app.example.com.evil.example"), None),
            CorsDecision::Rejected
        );
        assert_eq!(
            policy.decide(Some("HTTPS://APP.EXAMPLE.COM"), None),
            CorsDecision::Rejected
        );
    }

    #[test]
    fn own_origin_is_not_cross_origin() {
        let decision = policy().decide(Some("http://127.0.0.1:8000"), Some("127.0.0.1:8000"));

        assert_eq!(decision, CorsDecision::NotCrossOrigin);
    }

    #[test]
    fn preflight_allows_listed_method_and_headers() {
        let decision = policy().preflight(
            Some("http://localhost:3000"),
            "PATCH",
            Some("Content-Type, Authorization,X-CSRF-Token"),
        );

        assert_eq!(
            decision,
            PreflightDecision::Allowed {
                origin: "http://localhost:3000".into()
            }
        );
    }

    #[test]
    fn preflight_rejects_unlisted_parts() {
        let policy = policy();
        let origin = Some("https://app.example.com");

        assert_eq!(
            policy.preflight(Some("https://evil.example"), "GET", None),
            PreflightDecision::Rejected(PreflightRejection::Origin)
        );
        assert_eq!(
            policy.preflight(None, "GET", None),
            PreflightDecision::Rejected(PreflightRejection::Origin)
        );
        assert_eq!(
            policy.preflight(origin, "PUT", None),
            PreflightDecision::Rejected(PreflightRejection::Method)
        );
        assert_eq!(
            policy.preflight(origin, "get", None),
            PreflightDecision::Rejected(PreflightRejection::Method)
        );
        assert_eq!(
            policy.preflight(origin, "POST", Some("content-type, x-evil")),
            PreflightDecision::Rejected(PreflightRejection::Header)
        );
    }

    #[test]
    fn empty_policy_allows_nothing() {
        let policy = CorsPolicy::default();

        assert!(policy.is_empty());
        assert_eq!(
            policy.decide(Some("https://app.example.com"), None),
            CorsDecision::Rejected
        );
    }
}
