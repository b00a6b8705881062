//! Parsing of `postgres://` URLs into the server to connect to and the TLS mode.
//!
//! The URL takes libpq's `sslmode` and `sslrootcert` parameters, which this module reads and
//! removes; tokio-postgres parses every other parameter. tokio-postgres accepts only `disable`,
//! `prefer` and `require`, so `verify-ca` and `verify-full` reach it as `require` and the
//! certificate checks happen in the rustls configuration of [`crate::tls`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;
use url::Url;

use crate::error::PostgresError;

/// The TLS protection of a connection: libpq's `sslmode` values with libpq's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, plain otherwise; `allow` is read as `prefer`.
    Prefer,
    /// TLS; the server certificate is not checked, so it protects against eavesdropping but
    /// not against an active man in the middle.
    Require,
    /// TLS with a certificate chain that leads to a root certificate in `sslrootcert`.
    VerifyCa,
    /// As [`SslMode::VerifyCa`], and the certificate must name the host of the URL.
    VerifyFull,
}

impl SslMode {
    /// Parses an `sslmode` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "disable" => Some(Self::Disable),
            "allow" | "prefer" => Some(Self::Prefer),
            "require" => Some(Self::Require),
            "verify-ca" => Some(Self::VerifyCa),
            "verify-full" => Some(Self::VerifyFull),
            _ => None,
        }
    }

    /// Returns the `sslmode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    /// Returns whether every connection in this mode is encrypted.
    pub fn always_encrypts(self) -> bool {
        matches!(self, Self::Require | Self::VerifyCa | Self::VerifyFull)
    }

    /// Returns the mode that tokio-postgres gets: it checks no certificate itself.
    fn for_tokio_postgres(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require | Self::VerifyCa | Self::VerifyFull => "require",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checked database URL: the tokio-postgres configuration and the TLS settings.
#[derive(Clone)]
pub struct ConnectionTarget {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) ssl_mode: SslMode,
    pub(crate) root_cert: Option<PathBuf>,
    description: String,
}

impl fmt::Debug for ConnectionTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The tokio-postgres configuration contains the password, so only the description is
        // shown.
        f.debug_struct("ConnectionTarget")
            .field("server", &self.description)
            .field("ssl_mode", &self.ssl_mode)
            .finish_non_exhaustive()
    }
}

impl ConnectionTarget {
    /// Parses a `postgres://` or `postgresql://` URL.
    ///
    /// A URL without `sslmode` gets `require`: TLS is the default here, unlike libpq's `prefer`.
    /// `disable` and `prefer` may send the password and data in clear text, so they need
    /// `allow_insecure`. `verify-ca` and `verify-full` need `sslrootcert`.
    ///
    /// # Errors
    /// [`PostgresError::InvalidUrl`] for a URL that does not parse or names no host,
    /// [`PostgresError::PlainConnection`] for a plain mode without `allow_insecure`, and
    /// [`PostgresError::MissingRootCert`] for a verifying mode without a root certificate.
    /// No error contains the password.
    pub fn parse(url: &str, allow_insecure: bool) -> Result<Self, PostgresError> {
        let invalid = |problem: &str| PostgresError::InvalidUrl {
            problem: problem.to_owned(),
        };
        let mut parsed = Url::parse(url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid("the scheme must be postgres: or postgresql:"));
        }

        let mut ssl_mode = SslMode::Require;
        let mut root_cert = None;
        let mut passed_on = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    ssl_mode = SslMode::parse(&value).ok_or_else(|| {
                        invalid(
                            "sslmode must be disable, allow, prefer, require, verify-ca or \
                             verify-full",
                        )
                    })?;
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                _ => passed_on.push((key.into_owned(), value.into_owned())),
            }
        }
        if !ssl_mode.always_encrypts() && !allow_insecure {
            return Err(PostgresError::PlainConnection {
                sslmode: ssl_mode.as_str().to_owned(),
            });
        }
        if matches!(ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull) && root_cert.is_none() {
            return Err(PostgresError::MissingRootCert {
                sslmode: ssl_mode.as_str().to_owned(),
            });
        }

        parsed.set_query(None);
        parsed
            .query_pairs_mut()
            .extend_pairs(passed_on)
            .append_pair("sslmode", ssl_mode.for_tokio_postgres());
        let config = tokio_postgres::Config::from_str(parsed.as_str())
            .map_err(|e| invalid(&e.to_string()))?;
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            return Err(invalid("the URL names no host"));
        }
        let description = describe(&config);
        Ok(Self {
            config,
            ssl_mode,
            root_cert,
            description,
        })
    }

    /// Returns the TLS mode.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// Returns `host:port/database` without the user or password, for logs and errors.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Fills in what the URL left unset: a connect timeout of `connect_timeout` and the
    /// application name `rampart`, which `pg_stat_activity` shows.
    pub(crate) fn with_defaults(mut self, connect_timeout: Duration) -> Self {
        if self.config.get_connect_timeout().is_none() {
            self.config.connect_timeout(connect_timeout);
        }
        if self.config.get_application_name().is_none() {
            self.config.application_name("rampart");
        }
        self
    }
}

/// Describes the server of `config` as `host:port/database`.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => config
            .get_hostaddrs()
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or_default();
    format!("{host}:{port}/{database}")
}

/// Returns `url` with the password replaced by `<redacted>`, for logs and messages. A value that
/// does not parse as a URL is replaced whole, since it may contain a password anywhere.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url.trim()) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("<redacted>")).is_err() {
                return "<redacted>".to_owned();
            }
            // `password` in the query is a libpq parameter as well.
            if parsed.query_pairs().any(|(key, _)| key == "password") {
                let kept: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(key, value)| {
                        let value = if key == "password" {
                            "<redacted>".to_owned()
                        } else {
                            value.into_owned()
                        };
                        (key.into_owned(), value)
                    })
                    .collect();
                parsed.set_query(None);
                parsed.query_pairs_mut().extend_pairs(kept);
            }
            parsed.to_string()
        }
        Err(_) => "<redacted>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_sslmode_means_require() {
        let target =
            ConnectionTarget::parse("postgres://app:secret@db.internal/rampart", false).unwrap();

        assert_eq!(target.ssl_mode(), SslMode::Require);
        assert_eq!(target.description(), "db.internal:5432/rampart");
    }

    #[test]
    fn disable_without_allowance_is_rejected() {
        let result = ConnectionTarget::parse("postgres://app@db/rampart?sslmode=disable", false);

        let error = result.unwrap_err().to_string();
        assert!(error.contains("sslmode=disable"), "{error}");
    }

    #[test]
    fn prefer_counts_as_plain() {
        let result = ConnectionTarget::parse("postgres://app@db/rampart?sslmode=prefer", false);

        assert!(
            matches!(result, Err(PostgresError::PlainConnection { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn disable_with_allowance_is_accepted() {
        let target =
            ConnectionTarget::parse("postgres://app@db/rampart?sslmode=disable", true).unwrap();

        assert_eq!(target.ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn verify_full_needs_root_certificate() {
        let result =
            ConnectionTarget::parse("postgres://app@db/rampart?sslmode=verify-full", false);

        assert!(
            matches!(result, Err(PostgresError::MissingRootCert { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn verify_full_keeps_root_path() {
        let url = "postgresql://app@db:6432/rampart?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3";

        let target = ConnectionTarget::parse(url, false).unwrap();

        assert_eq!(target.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(target.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            target.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(target.description(), "db:6432/rampart");
    }

    #[test]
    fn other_scheme_is_rejected() {
        let result = ConnectionTarget::parse("mysql://app@db/rampart", false);

        assert!(
            matches!(result, Err(PostgresError::InvalidUrl { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn unknown_sslmode_is_rejected() {
        let result = ConnectionTarget::parse("postgres://app@db/rampart?sslmode=always", false);

        assert!(
            matches!(result, Err(PostgresError::InvalidUrl { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn parse_errors_hide_password() {
        let result = ConnectionTarget::parse("postgres://app:hunter2@db:notaport/rampart", false);

        let error = result.unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn redaction_hides_password() {
        let redacted = redact_url("postgres://app:hunter2@db/rampart?password=hunter3");

        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(!redacted.contains("hunter3"), "{redacted}");
        assert!(redacted.contains("app"), "{redacted}");
        assert!(redacted.contains("db/rampart"), "{redacted}");
    }
}
