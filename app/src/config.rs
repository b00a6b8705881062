//! Configuration: a TOML file, then `RAMPART_*` environment variables, which win.
//!
//! Every value is parsed here, once, into [`Config`]. A bad value stops start-up with an error
//! that names the key, its variable, the problem and the expected form.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rampart_domain::lockout::LockoutPolicy;
use rampart_domain::network::Cidr;
use rampart_domain::password::PasswordPolicy;
use serde::Deserialize;

mod bench;
mod database;
pub(crate) mod filtering;
mod shared_state;

pub(crate) use database::PostgresConfig;

/// Where the service runs. `production` rejects settings meant for local development only:
/// `database.allow_insecure`, a plain `redis://` URL to a host other than loopback, the
/// benchmarking switch and the test fault route.
// NOTE: the deployment checks of a `security-audit` (key modes, TLS, CORS, log directory) are
// not run before serving yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Environment {
    Development,
    Production,
}

impl Environment {
    /// Returns the configured spelling.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
        }
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Argon2Settings {
    /// Memory cost in KiB.
    pub(crate) memory_kib: u32,
    /// Number of passes.
    pub(crate) iterations: u32,
    /// Degree of parallelism.
    pub(crate) parallelism: u32,
}

/// Certificate and key of the TLS listener, and the optional plain listener beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    /// PEM file with the certificate chain.
    pub(crate) cert: PathBuf,
    /// PEM file with the private key.
    pub(crate) key: PathBuf,
    /// Address of a plain-HTTP listener that redirects browser pages to HTTPS and rejects API
    /// calls with 403 `https-required`; unset means no plain listener.
    pub(crate) plain_listen: Option<SocketAddr>,
}

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) env: Environment,
    pub(crate) listen: SocketAddr,
    pub(crate) data_dir: PathBuf,
    pub(crate) log_dir: PathBuf,
    pub(crate) database_url: String,
    pub(crate) tls: Option<TlsSettings>,
    pub(crate) trusted_proxies: Vec<Cidr>,
    pub(crate) cors_allowed_origins: Vec<String>,
    pub(crate) password_policy: PasswordPolicy,
    pub argon2: Argon2Settings,
    /// Hashing jobs allowed in flight before logins get 503; twice the CPU count by default.
    pub(crate) hash_queue: usize,
    /// Connections in the database pool.
    pub(crate) database_pool_size: u32,
    /// PostgreSQL settings when `database.url` is a `postgres:` URL; `None` for SQLite.
    pub(crate) postgres: Option<database::PostgresConfig>,
    /// Redis for the shared counters and lists; `None` keeps them in process.
    pub(crate) redis: Option<rampart_redis::RedisSettings>,
    /// The per-IP, anonymous and authenticated request limits.
    pub(crate) request_limits: rampart_http::RequestLimits,
    /// CORS, blocking and request validation.
    pub(crate) filtering: filtering::Filtering,
    /// The login failure limits.
    pub(crate) lockout: LockoutPolicy,
    /// Serves without the security middleware, for benchmarks in development only.
    pub(crate) bench_stack_off: bool,
}

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("invalid value {value:?} for `{key}` ({variable}): {problem}; expected {expected}")]
    Invalid {
        key: &'static str,
        variable: &'static str,
        value: String,
        problem: String,
        expected: &'static str,
    },
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
}

/// Layout of the config file: every key optional, nested under its TOML table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    env: Option<String>,
    listen: Option<String>,
    data_dir: Option<String>,
    log_dir: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    database: FileDatabase,
    #[serde(default)]
    redis: FileRedis,
    #[serde(default)]
    tls: FileTls,
    #[serde(default)]
    cors: FileCors,
    #[serde(default)]
    blocking: filtering::FileBlocking,
    #[serde(default)]
    validation: filtering::FileValidation,
    #[serde(default)]
    password: FilePassword,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    bench: bench::FileBench,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    pool_size: Option<u32>,
    migration_url: Option<String>,
    allow_insecure: Option<bool>,
    acquire_timeout_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    max_lifetime_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRedis {
    url: Option<String>,
    prefix: Option<String>,
    allow_insecure: Option<bool>,
    pool_size: Option<u32>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    ip_per_minute: Option<u32>,
    anonymous_per_hour: Option<u32>,
    authenticated_per_hour: Option<u32>,
    login_failures_per_pair: Option<usize>,
    login_failures_per_username: Option<usize>,
    login_failures_per_ip: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert: Option<String>,
    key: Option<String>,
    plain_listen: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCors {
    allowed_origins: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePassword {
    policy: Option<String>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    hash_queue: Option<usize>,
}

/// One key: its dotted name, its variable, and the value found (the variable wins).
struct Setting {
    key: &'static str,
    variable: &'static str,
    value: Option<String>,
}

impl Setting {
    fn invalid(&self, problem: impl Into<String>, expected: &'static str) -> ConfigError {
        ConfigError::Invalid {
            key: self.key,
            variable: self.variable,
            value: self.value.clone().unwrap_or_default(),
            problem: problem.into(),
            expected,
        }
    }

    fn parse_number<T>(&self, default: T, min: T, expected: &'static str) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd,
        T::Err: std::fmt::Display,
    {
        let Some(raw) = &self.value else {
            return Ok(default);
        };
        let value = raw
            .trim()
            .parse::<T>()
            .map_err(|e| self.invalid(e.to_string(), expected))?;
        if value < min {
            return Err(self.invalid("too small", expected));
        }
        Ok(value)
    }
}

/// Reads `RAMPART_*` variables through a function, so tests can pass their own.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Config {
    /// Loads the file (if any) and the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key.
    pub(crate) fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("RAMPART_CONFIG").map(PathBuf::from));
        Self::from_sources(file.as_deref(), &|name| std::env::var(name).ok())
    }

    /// Loads the file (if any) and variables from `env`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key.
    pub(crate) fn from_sources(
        file: Option<&Path>,
        env: EnvLookup<'_>,
    ) -> Result<Self, ConfigError> {
        let parsed = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_owned(),
                    source: Box::new(source),
                })?
            }
            None => FileConfig::default(),
        };
        let setting =
            |key: &'static str, variable: &'static str, from_file: Option<String>| Setting {
                key,
                variable,
                value: env(variable).filter(|v| !v.trim().is_empty()).or(from_file),
            };
        let list = |items: Option<Vec<String>>| items.map(|v| v.join(","));

        let env_setting = setting("env", "RAMPART_ENV", parsed.env);
        let environment = match env_setting.value.as_deref().map(str::trim) {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => {
                return Err(
                    env_setting.invalid("unknown environment", "`development` or `production`")
                );
            }
        };

        let listen_setting = setting("listen", "RAMPART_LISTEN", parsed.listen);
        let listen = listen_setting
            .value
            .as_deref()
            .unwrap_or("127.0.0.1:8000")
            .trim()
            .parse::<SocketAddr>()
            .map_err(|e| {
                listen_setting.invalid(
                    e.to_string(),
                    "an IP address and port such as 127.0.0.1:8000",
                )
            })?;

        let data_dir = PathBuf::from(
            setting("data_dir", "RAMPART_DATA_DIR", parsed.data_dir)
                .value
                .unwrap_or_else(|| "data".to_owned()),
        );
        let log_dir = PathBuf::from(
            setting("log_dir", "RAMPART_LOG_DIR", parsed.log_dir)
                .value
                .unwrap_or_else(|| "logs".to_owned()),
        );

        let number = |n: Option<u64>| n.map(|n| n.to_string());
        let database = database::parse_database(
            database::DatabaseKeys {
                url: setting("database.url", "RAMPART_DATABASE_URL", parsed.database.url),
                migration_url: setting(
                    "database.migration_url",
                    "RAMPART_DATABASE_MIGRATION_URL",
                    parsed.database.migration_url,
                ),
                pool_size: setting(
                    "database.pool_size",
                    "RAMPART_DATABASE_POOL_SIZE",
                    parsed.database.pool_size.map(|n| n.to_string()),
                ),
                allow_insecure: setting(
                    "database.allow_insecure",
                    "RAMPART_DATABASE_ALLOW_INSECURE",
                    parsed.database.allow_insecure.map(|b| b.to_string()),
                ),
                acquire_timeout_ms: setting(
                    "database.acquire_timeout_ms",
                    "RAMPART_DATABASE_ACQUIRE_TIMEOUT_MS",
                    number(parsed.database.acquire_timeout_ms),
                ),
                statement_timeout_ms: setting(
                    "database.statement_timeout_ms",
                    "RAMPART_DATABASE_STATEMENT_TIMEOUT_MS",
                    number(parsed.database.statement_timeout_ms),
                ),
                max_lifetime_seconds: setting(
                    "database.max_lifetime_seconds",
                    "RAMPART_DATABASE_MAX_LIFETIME_SECONDS",
                    number(parsed.database.max_lifetime_seconds),
                ),
            },
            environment,
            &data_dir,
        )?;
        let database_url = database.url;
        let database_pool_size = database.pool_size;

        let number = |n: Option<u32>| n.map(|n| n.to_string());
        let redis = shared_state::parse_redis(
            shared_state::RedisKeys {
                url: setting("redis.url", "RAMPART_REDIS_URL", parsed.redis.url),
                prefix: setting("redis.prefix", "RAMPART_REDIS_PREFIX", parsed.redis.prefix),
                allow_insecure: setting(
                    "redis.allow_insecure",
                    "RAMPART_REDIS_ALLOW_INSECURE",
                    parsed.redis.allow_insecure.map(|b| b.to_string()),
                ),
                pool_size: setting(
                    "redis.pool_size",
                    "RAMPART_REDIS_POOL_SIZE",
                    number(parsed.redis.pool_size),
                ),
                timeout_ms: setting(
                    "redis.timeout_ms",
                    "RAMPART_REDIS_TIMEOUT_MS",
                    parsed.redis.timeout_ms.map(|n| n.to_string()),
                ),
            },
            environment,
        )?;
        let request_limits = shared_state::parse_limits(
            &setting(
                "limits.ip_per_minute",
                "RAMPART_LIMITS_IP_PER_MINUTE",
                number(parsed.limits.ip_per_minute),
            ),
            &setting(
                "limits.anonymous_per_hour",
                "RAMPART_LIMITS_ANONYMOUS_PER_HOUR",
                number(parsed.limits.anonymous_per_hour),
            ),
            &setting(
                "limits.authenticated_per_hour",
                "RAMPART_LIMITS_AUTHENTICATED_PER_HOUR",
                number(parsed.limits.authenticated_per_hour),
            ),
        )?;

        let count = |n: Option<usize>| n.map(|n| n.to_string());
        let lockout = shared_state::parse_login_limits(
            &setting(
                "limits.login_failures_per_pair",
                "RAMPART_LIMITS_LOGIN_FAILURES_PER_PAIR",
                count(parsed.limits.login_failures_per_pair),
            ),
            &setting(
                "limits.login_failures_per_username",
                "RAMPART_LIMITS_LOGIN_FAILURES_PER_USERNAME",
                count(parsed.limits.login_failures_per_username),
            ),
            &setting(
                "limits.login_failures_per_ip",
                "RAMPART_LIMITS_LOGIN_FAILURES_PER_IP",
                count(parsed.limits.login_failures_per_ip),
            ),
        )?;
        let bench_stack_off = bench::parse_stack_off(
            &setting(
                "bench.stack_off",
                "RAMPART_BENCH_STACK_OFF",
                parsed.bench.stack_off.map(|b| b.to_string()),
            ),
            environment,
        )?;

        let tls = parse_tls(
            setting("tls.cert", "RAMPART_TLS_CERT", parsed.tls.cert),
            setting("tls.key", "RAMPART_TLS_KEY", parsed.tls.key),
            setting(
                "tls.plain_listen",
                "RAMPART_TLS_PLAIN_LISTEN",
                parsed.tls.plain_listen,
            ),
        )?;

        let proxies_setting = setting(
            "trusted_proxies",
            "RAMPART_TRUSTED_PROXIES",
            list(parsed.trusted_proxies),
        );
        let trusted_proxies = split_list(proxies_setting.value.clone())
            .iter()
            .map(|range| range.parse::<Cidr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                proxies_setting.invalid(
                    e.to_string(),
                    "comma-separated IP addresses or CIDR ranges such as 10.0.0.0/8,::1",
                )
            })?;
        let cors_setting = setting(
            "cors.allowed_origins",
            "RAMPART_CORS_ALLOWED_ORIGINS",
            list(parsed.cors.allowed_origins),
        );
        let cors_allowed_origins = split_list(cors_setting.value.clone());
        let filtering = filtering::parse_filtering(
            filtering::FilteringKeys {
                cors_origins: &cors_setting,
                blocked_ips: setting(
                    "blocking.ips",
                    "RAMPART_BLOCKING_IPS",
                    list(parsed.blocking.ips),
                ),
                validation_mode: setting(
                    "validation.mode",
                    "RAMPART_VALIDATION_MODE",
                    parsed.validation.mode,
                ),
                test_fault_route: setting(
                    filtering::TEST_FAULT_ROUTE,
                    filtering::TEST_FAULT_ROUTE,
                    None,
                ),
            },
            environment,
        )?;

        let policy_setting = setting(
            "password.policy",
            "RAMPART_PASSWORD_POLICY",
            parsed.password.policy,
        );
        let password_policy = match policy_setting.value.as_deref().map(str::trim) {
            None => PasswordPolicy::Classic,
            Some(name) => PasswordPolicy::parse(name)
                .ok_or_else(|| policy_setting.invalid("unknown preset", "`classic` or `asvs5`"))?,
        };

        let argon2 = Argon2Settings {
            memory_kib: setting(
                "password.argon2_memory_kib",
                "RAMPART_PASSWORD_ARGON2_MEMORY_KIB",
                parsed.password.argon2_memory_kib.map(|n| n.to_string()),
            )
            .parse_number(
                19_456u32,
                8,
                "a memory cost in KiB, 8 or more (19456 recommended)",
            )?,
            iterations: setting(
                "password.argon2_iterations",
                "RAMPART_PASSWORD_ARGON2_ITERATIONS",
                parsed.password.argon2_iterations.map(|n| n.to_string()),
            )
            .parse_number(2u32, 1, "a number of passes, 1 or more (2 recommended)")?,
            parallelism: setting(
                "password.argon2_parallelism",
                "RAMPART_PASSWORD_ARGON2_PARALLELISM",
                parsed.password.argon2_parallelism.map(|n| n.to_string()),
            )
            .parse_number(1u32, 1, "a degree of parallelism, 1 or more")?,
        };
        let hash_queue = setting(
            "password.hash_queue",
            "RAMPART_PASSWORD_HASH_QUEUE",
            parsed.password.hash_queue.map(|n| n.to_string()),
        )
        .parse_number(
            rampart_password::default_queue_capacity(),
            1,
            "a number of hashing jobs, 1 or more",
        )?;

        Ok(Self {
            env: environment,
            listen,
            data_dir,
            log_dir,
            database_url,
            tls,
            trusted_proxies,
            cors_allowed_origins,
            password_policy,
            argon2,
            hash_queue,
            database_pool_size,
            postgres: database.postgres,
            redis,
            request_limits,
            filtering,
            lockout,
            bench_stack_off,
        })
    }

    /// Returns the SQLite file path of a `sqlite:` database URL.
    pub(crate) fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        Some(PathBuf::from(rest.strip_prefix("//").unwrap_or(rest)))
    }
}

/// Validates the TLS settings: certificate and key together or not at all, and a plain
/// listener only beside TLS.
fn parse_tls(
    cert: Setting,
    key: Setting,
    plain_listen: Setting,
) -> Result<Option<TlsSettings>, ConfigError> {
    let plain = match plain_listen.value.as_deref().map(str::trim) {
        None => None,
        Some(text) => Some(text.parse::<SocketAddr>().map_err(|e| {
            plain_listen.invalid(
                e.to_string(),
                "an IP address and port such as 127.0.0.1:8080",
            )
        })?),
    };
    match (cert.value.clone(), key.value.clone()) {
        (Some(cert), Some(key)) => Ok(Some(TlsSettings {
            cert: PathBuf::from(cert.trim()),
            key: PathBuf::from(key.trim()),
            plain_listen: plain,
        })),
        (None, None) if plain.is_some() => Err(plain_listen.invalid(
            "a plain listener redirects to HTTPS, so it needs TLS",
            "tls.cert and tls.key set as well",
        )),
        (None, None) => Ok(None),
        (Some(_), None) => Err(key.invalid(
            "missing while tls.cert is set",
            "the path of a PEM private key",
        )),
        (None, Some(_)) => Err(cert.invalid(
            "missing while tls.key is set",
            "the path of a PEM certificate chain",
        )),
    }
}

fn split_list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, &move |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_use_embedded_sqlite() {
        let config = load(&[]).unwrap();

        assert_eq!(config.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(config.database_url, "sqlite://data/rampart.db");
        assert_eq!(
            config.sqlite_path().unwrap(),
            PathBuf::from("data/rampart.db")
        );
        assert_eq!(config.password_policy, PasswordPolicy::Classic);
    }

    #[test]
    fn bad_listen_names_key_and_form() {
        let error = load(&[("RAMPART_LISTEN", "localhost")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("`listen`"), "{error}");
        assert!(error.contains("RAMPART_LISTEN"), "{error}");
        assert!(error.contains("127.0.0.1:8000"), "{error}");
    }

    #[test]
    fn unknown_policy_is_rejected() {
        let error = load(&[("RAMPART_PASSWORD_POLICY", "strong")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("password.policy"), "{error}");
        assert!(error.contains("asvs5"), "{error}");
    }

    #[test]
    fn variable_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rampart.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\n[password]\npolicy = \"asvs5\"\n",
        )
        .unwrap();

        let config = Config::from_sources(Some(&path), &|name| {
            (name == "RAMPART_LISTEN").then(|| "127.0.0.1:9100".to_owned())
        })
        .unwrap();

        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.password_policy, PasswordPolicy::Asvs5);
    }

    #[test]
    fn unknown_file_key_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rampart.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();

        let error = Config::from_sources(Some(&path), &|_| None).unwrap_err();

        // The parser's message, with the unknown key, is the source; the top line names the file.
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(error.to_string().contains("rampart.toml"), "{error}");
        assert!(source.contains("lisen"), "{source}");
    }

    #[test]
    fn bad_trusted_proxy_names_key() {
        let error = load(&[("RAMPART_TRUSTED_PROXIES", "10.0.0.0/8, nonsense")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("trusted_proxies"), "{error}");
        assert!(error.contains("CIDR"), "{error}");
    }

    #[test]
    fn tls_key_without_cert_is_rejected() {
        let error = load(&[("RAMPART_TLS_KEY", "key.pem")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("tls.cert"), "{error}");
    }

    #[test]
    fn plain_listener_needs_tls() {
        let error = load(&[("RAMPART_TLS_PLAIN_LISTEN", "127.0.0.1:8080")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("tls.plain_listen"), "{error}");
    }

    #[test]
    fn tls_settings_are_read() {
        let config = load(&[
            ("RAMPART_TLS_CERT", "cert.pem"),
            ("RAMPART_TLS_KEY", "key.pem"),
            ("RAMPART_TLS_PLAIN_LISTEN", "127.0.0.1:8080"),
            ("RAMPART_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ])
        .unwrap();

        let tls = config.tls.unwrap();
        assert_eq!(tls.cert, PathBuf::from("cert.pem"));
        assert_eq!(tls.plain_listen.unwrap().port(), 8080);
        assert_eq!(config.trusted_proxies.len(), 2);
    }
}
