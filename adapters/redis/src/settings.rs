//! Connection settings and the security check of a Redis URL.

use std::time::Duration;

use redis::{ConnectionAddr, IntoConnectionInfo};

/// Default key prefix.
pub const DEFAULT_PREFIX: &str = "rampart:";
/// Default number of pooled connections.
pub const DEFAULT_POOL_SIZE: u32 = 16;
/// Default connect, command and pool checkout timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// How to reach Redis and how long to wait for it.
#[derive(Clone)]
pub struct RedisSettings {
    /// `redis://[user]:password@host:port/db` or `rediss://` for TLS.
    pub url: String,
    /// Prepended to every key, so several services can share one server.
    pub prefix: String,
    /// Accept a URL without a password, or `rediss://...#insecure`: for local development only.
    pub allow_insecure: bool,
    /// Connections in the pool, 1 or more.
    pub pool_size: u32,
    /// Time allowed to connect, to wait for a pooled connection, and for each command's reply.
    pub timeout: Duration,
}

impl RedisSettings {
    /// Settings for `url` with the default prefix, pool size and timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            allow_insecure: false,
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("allow_insecure", &self.allow_insecure)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A reason a Redis URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    /// The URL does not parse as a Redis URL.
    #[error("not a Redis URL: {0}")]
    Invalid(String),
    /// The URL names no password, so the connection would not authenticate.
    #[error("the URL has no password, so Redis would accept the connection unauthenticated")]
    NoPassword,
    /// `#insecure` turns off the TLS hostname check.
    #[error("`#insecure` turns off TLS hostname verification")]
    InsecureTls,
    /// A Unix socket path: only TCP and TLS connections are supported.
    #[error("Unix socket URLs are not supported")]
    UnixSocket,
}

/// What a usable Redis URL connects to, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlSummary {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub authenticated: bool,
}

/// Checks that `url` parses, carries a password (with or without an ACL user name) and keeps
/// TLS hostname verification, and returns what it connects to.
///
/// With `allow_insecure`, a URL without a password or with `#insecure` passes.
///
/// # Errors
/// The first [`UrlProblem`] found.
pub fn check_url(url: &str, allow_insecure: bool) -> Result<UrlSummary, UrlProblem> {
    let info = url
        .into_connection_info()
        .map_err(|error| UrlProblem::Invalid(error.to_string()))?;
    let authenticated = info
        .redis_settings()
        .password()
        .is_some_and(|password| !password.is_empty());
    let summary = match info.addr() {
        ConnectionAddr::Tcp(host, port) => UrlSummary {
            host: host.clone(),
            port: *port,
            tls: false,
            authenticated,
        },
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => {
            if *insecure && !allow_insecure {
                return Err(UrlProblem::InsecureTls);
            }
            UrlSummary {
                host: host.clone(),
                port: *port,
                tls: true,
                authenticated,
            }
        }
        ConnectionAddr::Unix(_) => return Err(UrlProblem::UnixSocket),
        other => return Err(UrlProblem::Invalid(format!("unsupported address {other}"))),
    };
    if !authenticated && !allow_insecure {
        return Err(UrlProblem::NoPassword);
    }
    Ok(summary)
}

/// Returns `url` with the user name and password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let scheme = url.get(..scheme_end).unwrap_or_default();
            let host = url.get(at..).unwrap_or_default();
            format!("{scheme}://<redacted>{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_url_passes() {
        let summary = check_url("redis://:s3cret@127.0.0.1:6390/0", false).unwrap();

        assert_eq!(summary.host, "127.0.0.1");
        assert_eq!(summary.port, 6390);
        assert!(!summary.tls);
        assert!(summary.authenticated);
    }

    #[test]
    fn acl_user_url_passes() {
        let summary = check_url("rediss://rampart:s3cret@cache.internal:6380", false).unwrap();

        assert!(summary.tls);
        assert!(summary.authenticated);
    }

    #[test]
    fn url_without_password_is_rejected() {
        assert_eq!(
            check_url("redis://127.0.0.1:6390", false),
            Err(UrlProblem::NoPassword)
        );
        assert_eq!(
            check_url("redis://rampart@127.0.0.1:6390", false),
            Err(UrlProblem::NoPassword)
        );
    }

    #[test]
    fn insecure_flag_allows_no_password() {
        let summary = check_url("redis://127.0.0.1:6390", true).unwrap();

        assert!(!summary.authenticated);
    }

    #[test]
    fn tls_without_hostname_check_is_rejected() {
        assert_eq!(
            check_url("rediss://:s3cret@cache.internal:6380/#insecure", false),
            Err(UrlProblem::InsecureTls)
        );
    }

    #[test]
    fn malformed_and_socket_urls_are_rejected() {
        assert!(matches!(
            check_url("http://:s3cret@127.0.0.1", false),
            Err(UrlProblem::Invalid(_))
        ));
        assert_eq!(
            check_url("redis+unix:///run/redis.sock?pass=s3cret", false),
            Err(UrlProblem::UnixSocket)
        );
    }

    #[test]
    fn redact_hides_credentials() {
        let redacted = redact("redis://rampart:s3cret@127.0.0.1:6390/0");

        assert_eq!(redacted, "redis://<redacted>@127.0.0.1:6390/0");
        assert!(!format!("{:?}", RedisSettings::new("redis://:s3cret@h:1")).contains("s3cret"));
    }
}
