//! The `database.*` keys: which database the service uses, and the PostgreSQL pool settings.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rampart_postgres::{ConnectionTarget, PostgresError, PostgresSettings, redact_url};

use super::{ConfigError, Environment, Setting};

/// The `database.*` settings as found, before validation.
pub(super) struct DatabaseKeys {
    pub(super) url: Setting,
    pub(super) migration_url: Setting,
    pub(super) pool_size: Setting,
    pub(super) allow_insecure: Setting,
    pub(super) acquire_timeout_ms: Setting,
    pub(super) statement_timeout_ms: Setting,
    pub(super) max_lifetime_seconds: Setting,
}

/// The validated `database.*` settings.
pub(super) struct DatabaseChoice {
    /// `sqlite://PATH` or a `postgres://` URL.
    pub(super) url: String,
    pub(super) pool_size: u32,
    /// Set for a `postgres:` or `postgresql:` URL.
    pub(super) postgres: Option<PostgresConfig>,
}

/// The PostgreSQL settings of `rampart serve` and `rampart migrate`.
#[derive(Clone)]
pub(crate) struct PostgresConfig {
    /// The owner role's URL for `rampart migrate`; `database.url` when unset.
    pub(crate) migration_url: String,
    /// Pool, timeout and TLS settings, shared by both URLs.
    pub(crate) settings: PostgresSettings,
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("migration_url", &redact_url(&self.migration_url))
            .field("settings", &self.settings)
            .finish()
    }
}

/// The form a database URL takes, for error messages.
const URL_FORMS: &str = "a URL such as sqlite://data/rampart.db or \
    postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full&sslrootcert=/path/root.crt";

/// Parses a boolean setting: `true`, `false`, `1`, `0`, `yes` or `no`; unset is `false`.
fn parse_bool(setting: &Setting) -> Result<bool, ConfigError> {
    match setting
        .value
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase())
    {
        None => Ok(false),
        Some(value) => match value.as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(setting.invalid("not a boolean", "`true` or `false`")),
        },
    }
}

/// Parses a duration setting in `unit_ms` milliseconds per unit, at least one unit.
fn parse_duration(
    setting: &Setting,
    default: Duration,
    unit_ms: u64,
    expected: &'static str,
) -> Result<Duration, ConfigError> {
    let default_units = u64::try_from(default.as_millis()).unwrap_or(u64::MAX) / unit_ms;
    let units = setting.parse_number(default_units, 1, expected)?;
    Ok(Duration::from_millis(units.saturating_mul(unit_ms)))
}

/// Returns `url` as an error may show it: without its password, or not at all when it does not
/// parse, since the password could then be anywhere in it.
fn shown(url: &str) -> String {
    if url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        redact_url(url)
    }
}

/// Checks one PostgreSQL URL and its TLS mode, and names `setting` in the error.
fn check_postgres_url(setting: &Setting, allow_insecure: bool) -> Result<(), ConfigError> {
    let url = setting.value.as_deref().map(str::trim).unwrap_or_default();
    let redacted = Setting {
        key: setting.key,
        variable: setting.variable,
        value: Some(shown(url)),
    };
    match ConnectionTarget::parse(url, allow_insecure) {
        Ok(_) => Ok(()),
        Err(PostgresError::PlainConnection { sslmode }) => Err(redacted.invalid(
            format!(
                "sslmode={sslmode} sends the password and data unencrypted, and \
                 database.allow_insecure (RAMPART_DATABASE_ALLOW_INSECURE) is not true"
            ),
            "sslmode=require, verify-ca or verify-full in the URL, or \
             database.allow_insecure = true (RAMPART_DATABASE_ALLOW_INSECURE=true) for local \
             development only",
        )),
        Err(error) => Err(redacted.invalid(error.to_string(), URL_FORMS)),
    }
}

/// Validates the `database.*` keys.
///
/// No URL means the SQLite file `rampart.db` in `data_dir`. A `postgres:` or `postgresql:` URL
/// must use TLS (`sslmode=require` or stricter, the default when the URL sets none) unless
/// `database.allow_insecure` is true, which production rejects. `database.migration_url` falls
/// back to `database.url`.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first bad key; a URL in an error has no password.
pub(super) fn parse_database(
    keys: DatabaseKeys,
    env: Environment,
    data_dir: &Path,
) -> Result<DatabaseChoice, ConfigError> {
    let pool_size =
        keys.pool_size
            .parse_number(8u32, 1, "a whole number of connections, 1 or more")?;
    let url = match keys.url.value.as_deref().map(str::trim) {
        None => format!("sqlite://{}", data_dir.join("rampart.db").display()),
        Some(url) => url.to_owned(),
    };
    if url.starts_with("sqlite:") {
        if let Some(migration_url) = &keys.migration_url.value {
            let redacted = Setting {
                key: keys.migration_url.key,
                variable: keys.migration_url.variable,
                value: Some(shown(migration_url)),
            };
            return Err(redacted.invalid(
                "database.url names SQLite, which `rampart serve` migrates itself",
                "unset, or a postgres:// database.url beside it",
            ));
        }
        return Ok(DatabaseChoice {
            url,
            pool_size,
            postgres: None,
        });
    }
    if !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
        let redacted = Setting {
            key: keys.url.key,
            variable: keys.url.variable,
            value: Some(shown(&url)),
        };
        return Err(redacted.invalid("unsupported scheme", URL_FORMS));
    }

    let allow_insecure = parse_bool(&keys.allow_insecure)?;
    if allow_insecure && env == Environment::Production {
        return Err(keys.allow_insecure.invalid(
            "plain database connections are for local development, and env is production",
            "`false`, with a URL whose sslmode is require, verify-ca or verify-full",
        ));
    }
    check_postgres_url(&keys.url, allow_insecure)?;
    let migration_url = match keys.migration_url.value.as_deref().map(str::trim) {
        None => url.clone(),
        Some(migration_url) => {
            check_postgres_url(&keys.migration_url, allow_insecure)?;
            migration_url.to_owned()
        }
    };

    let defaults = PostgresSettings::default();
    let settings = PostgresSettings {
        pool_size,
        acquire_timeout: parse_duration(
            &keys.acquire_timeout_ms,
            defaults.acquire_timeout,
            1,
            "a time in milliseconds, 1 or more (5000 by default)",
        )?,
        statement_timeout: parse_duration(
            &keys.statement_timeout_ms,
            defaults.statement_timeout,
            1,
            "a time in milliseconds, 1 or more (10000 by default)",
        )?,
        max_lifetime: parse_duration(
            &keys.max_lifetime_seconds,
            defaults.max_lifetime,
            1000,
            "a time in seconds, 1 or more (600 by default)",
        )?,
        allow_insecure,
    };
    Ok(DatabaseChoice {
        url,
        pool_size,
        postgres: Some(PostgresConfig {
            migration_url,
            settings,
        }),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Config;
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, &move |name| vars.get(name).cloned())
    }

    const URL: &str = "postgres://rampart_app:s3cret@db.internal:5432/rampart";

    #[test]
    fn postgres_url_selects_postgres() {
        let config = load(&[("RAMPART_DATABASE_URL", URL)]).unwrap();

        let postgres = config.postgres.unwrap();
        assert_eq!(config.database_url, URL);
        assert_eq!(postgres.migration_url, URL);
        assert_eq!(postgres.settings, PostgresSettings::default());
    }

    #[test]
    fn pool_settings_are_read() {
        let config = load(&[
            ("RAMPART_DATABASE_URL", URL),
            ("RAMPART_DATABASE_POOL_SIZE", "3"),
            ("RAMPART_DATABASE_ACQUIRE_TIMEOUT_MS", "750"),
            ("RAMPART_DATABASE_STATEMENT_TIMEOUT_MS", "2500"),
            ("RAMPART_DATABASE_MAX_LIFETIME_SECONDS", "60"),
        ])
        .unwrap();

        let settings = config.postgres.unwrap().settings;
        assert_eq!(settings.pool_size, 3);
        assert_eq!(settings.acquire_timeout, Duration::from_millis(750));
        assert_eq!(settings.statement_timeout, Duration::from_millis(2500));
        assert_eq!(settings.max_lifetime, Duration::from_secs(60));
    }

    #[test]
    fn migration_url_is_its_own() {
        let owner = "postgresql://rampart_owner:0wner@db.internal/rampart?sslmode=require";

        let config = load(&[
            ("RAMPART_DATABASE_URL", URL),
            ("RAMPART_DATABASE_MIGRATION_URL", owner),
        ])
        .unwrap();

        assert_eq!(config.postgres.unwrap().migration_url, owner);
    }

    #[test]
    fn plain_connection_names_both_settings() {
        let url = format!("{URL}?sslmode=disable");

        let error = load(&[("RAMPART_DATABASE_URL", &url)])
            .unwrap_err()
            .to_string();

        assert!(error.contains("sslmode=disable"), "{error}");
        assert!(error.contains("database.url"), "{error}");
        assert!(error.contains("database.allow_insecure"), "{error}");
        assert!(error.contains("RAMPART_DATABASE_ALLOW_INSECURE"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn allow_insecure_accepts_plain_connection() {
        let url = format!("{URL}?sslmode=disable");

        let config = load(&[
            ("RAMPART_DATABASE_URL", &url),
            ("RAMPART_DATABASE_ALLOW_INSECURE", "true"),
        ])
        .unwrap();

        assert!(config.postgres.unwrap().settings.allow_insecure);
    }

    #[test]
    fn production_rejects_allow_insecure() {
        let url = format!("{URL}?sslmode=disable");

        let error = load(&[
            ("RAMPART_ENV", "production"),
            ("RAMPART_DATABASE_URL", &url),
            ("RAMPART_DATABASE_ALLOW_INSECURE", "true"),
        ])
        .unwrap_err()
        .to_string();

        assert!(error.contains("database.allow_insecure"), "{error}");
    }

    #[test]
    fn plain_migration_url_is_rejected() {
        let owner = "postgres://rampart_owner:0wner@db.internal/rampart?sslmode=prefer";

        let error = load(&[
            ("RAMPART_DATABASE_URL", URL),
            ("RAMPART_DATABASE_MIGRATION_URL", owner),
        ])
        .unwrap_err()
        .to_string();

        assert!(error.contains("database.migration_url"), "{error}");
        assert!(!error.contains("0wner"), "{error}");
    }

    #[test]
    fn unknown_scheme_hides_password() {
        let error = load(&[("RAMPART_DATABASE_URL", "mysql://app:s3cret@db/rampart")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("database.url"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn migration_url_without_postgres_is_rejected() {
        let error = load(&[("RAMPART_DATABASE_MIGRATION_URL", URL)])
            .unwrap_err()
            .to_string();

        assert!(error.contains("database.migration_url"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn zero_acquire_timeout_is_rejected() {
        let error = load(&[
            ("RAMPART_DATABASE_URL", URL),
            ("RAMPART_DATABASE_ACQUIRE_TIMEOUT_MS", "0"),
        ])
        .unwrap_err()
        .to_string();

        assert!(error.contains("database.acquire_timeout_ms"), "{error}");
    }
}
