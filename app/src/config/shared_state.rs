//! The `redis.*` and `limits.*` keys: where the shared counters and lists live, and the request
//! limits.

use std::net::IpAddr;
use std::time::Duration;

use rampart_domain::lockout::LockoutPolicy;
use rampart_domain::throttle::RateLimit;
use rampart_http::RequestLimits;
use rampart_redis::{
    DEFAULT_POOL_SIZE, DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisSettings, UrlProblem, check_url,
};

use super::{ConfigError, Environment, Setting};

/// The `redis.*` settings as found, before validation.
pub(super) struct RedisKeys {
    pub(super) url: Setting,
    pub(super) prefix: Setting,
    pub(super) allow_insecure: Setting,
    pub(super) pool_size: Setting,
    pub(super) timeout_ms: Setting,
}

/// Parses a boolean setting: `true`, `false`, `1`, `0`, `yes` or `no`.
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

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Validates the `redis.*` keys. An unset `redis.url` keeps the in-process stores (`None`).
///
/// The URL must carry a password (with or without an ACL user name). In production it must
/// also use TLS (`rediss://`) unless the host is a loopback address. `redis.allow_insecure`
/// lifts both rules, for local development.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first bad key.
pub(super) fn parse_redis(
    keys: RedisKeys,
    env: Environment,
) -> Result<Option<RedisSettings>, ConfigError> {
    let allow_insecure = parse_bool(&keys.allow_insecure)?;
    let Some(url) = keys.url.value.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let expected = "a URL with a password such as rediss://:PASSWORD@host:6380/0 or \
                    redis://USER:PASSWORD@127.0.0.1:6379/0 (redis.allow_insecure = true accepts \
                    one without, for local development)";
    let summary = check_url(url, allow_insecure).map_err(|problem| {
        // The value in the error is the URL, so it must not carry the password.
        let mut setting = Setting {
            key: keys.url.key,
            variable: keys.url.variable,
            value: Some(rampart_redis::redact(url)),
        };
        if matches!(problem, UrlProblem::Invalid(_)) {
            setting.value = Some("<not shown: it may contain a password>".to_owned());
        }
        setting.invalid(problem.to_string(), expected)
    })?;
    if env == Environment::Production
        && !summary.tls
        && !is_loopback(&summary.host)
        && !allow_insecure
    {
        let setting = Setting {
            key: keys.url.key,
            variable: keys.url.variable,
            value: Some(rampart_redis::redact(url)),
        };
        return Err(setting.invalid(
            "production sends the Redis password and the counters over the network only with TLS",
            "a rediss:// URL, or redis.allow_insecure = true",
        ));
    }

    let prefix = keys
        .prefix
        .value
        .clone()
        .unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
    if prefix.is_empty() || prefix.len() > 64 || prefix.chars().any(char::is_whitespace) {
        return Err(keys.prefix.invalid(
            "empty, too long or with spaces",
            "1 to 64 characters without spaces",
        ));
    }
    let pool_size =
        keys.pool_size
            .parse_number(DEFAULT_POOL_SIZE, 1, "a number of connections, 1 or more")?;
    let default_ms = u64::try_from(DEFAULT_TIMEOUT.as_millis()).unwrap_or(500);
    let timeout_ms = keys.timeout_ms.parse_number(
        default_ms,
        10,
        "a timeout in milliseconds, 10 or more (500 recommended)",
    )?;

    Ok(Some(RedisSettings {
        url: url.to_owned(),
        prefix,
        allow_insecure,
        pool_size,
        timeout: Duration::from_millis(timeout_ms),
    }))
}

/// Parses the three request limits, each a count of requests per fixed window length.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first bad key.
pub(super) fn parse_limits(
    ip_per_minute: &Setting,
    anonymous_per_hour: &Setting,
    authenticated_per_hour: &Setting,
) -> Result<RequestLimits, ConfigError> {
    let defaults = RequestLimits::default();
    let count = |setting: &Setting, default: RateLimit| -> Result<RateLimit, ConfigError> {
        let limit = setting.parse_number(default.limit, 1, "a number of requests, 1 or more")?;
        Ok(RateLimit { limit, ..default })
    };
    Ok(RequestLimits {
        ip: count(ip_per_minute, defaults.ip)?,
        anonymous: count(anonymous_per_hour, defaults.anonymous)?,
        authenticated: count(authenticated_per_hour, defaults.authenticated)?,
    })
}

/// Parses the three login failure limits into the lockout policy; the windows, the lock
/// duration and the delays keep their defaults.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first bad key.
pub(super) fn parse_login_limits(
    per_pair: &Setting,
    per_username: &Setting,
    per_ip: &Setting,
) -> Result<LockoutPolicy, ConfigError> {
    let defaults = LockoutPolicy::default();
    let expected = "a number of failed logins, 1 or more";
    Ok(LockoutPolicy {
        pair_limit: per_pair.parse_number(defaults.pair_limit, 1, expected)?,
        delay_threshold: per_username.parse_number(defaults.delay_threshold, 1, expected)?,
        ip_limit: per_ip.parse_number(defaults.ip_limit, 1, expected)?,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Config, ConfigError};
    use super::LockoutPolicy;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, &move |name| vars.get(name).cloned())
    }

    #[test]
    fn unset_url_keeps_in_process_stores() {
        let config = load(&[]).unwrap();

        assert!(config.redis.is_none());
        assert_eq!(config.request_limits.ip.limit, 100);
    }

    #[test]
    fn url_without_password_names_key() {
        let error = load(&[("RAMPART_REDIS_URL", "redis://127.0.0.1:6390/0")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("`redis.url`"), "{error}");
        assert!(error.contains("RAMPART_REDIS_URL"), "{error}");
        assert!(error.contains("password"), "{error}");
    }

    #[test]
    fn allow_insecure_accepts_no_password() {
        let config = load(&[
            ("RAMPART_REDIS_URL", "redis://127.0.0.1:6390/0"),
            ("RAMPART_REDIS_ALLOW_INSECURE", "true"),
        ])
        .unwrap();

        let redis = config.redis.unwrap();
        assert!(redis.allow_insecure);
        assert_eq!(redis.prefix, "rampart:");
    }

    #[test]
    fn password_never_appears_in_errors() {
        let error = load(&[
            ("RAMPART_ENV", "production"),
            (
                "RAMPART_REDIS_URL",
                "redis://:hunter2-secret@cache.internal:6379",
            ),
        ])
        .unwrap_err()
        .to_string();

        assert!(error.contains("rediss://"), "{error}");
        assert!(!error.contains("hunter2-secret"), "{error}");
    }

    #[test]
    fn loopback_redis_needs_no_tls() {
        let config = load(&[
            ("RAMPART_ENV", "production"),
            ("RAMPART_REDIS_URL", "redis://:s3cret@127.0.0.1:6390"),
            ("RAMPART_REDIS_PREFIX", "svc-a:"),
            ("RAMPART_REDIS_TIMEOUT_MS", "250"),
        ])
        .unwrap();

        let redis = config.redis.unwrap();
        assert_eq!(redis.prefix, "svc-a:");
        assert_eq!(redis.timeout.as_millis(), 250);
    }

    #[test]
    fn limits_are_configurable() {
        let config = load(&[
            ("RAMPART_LIMITS_IP_PER_MINUTE", "20"),
            ("RAMPART_LIMITS_AUTHENTICATED_PER_HOUR", "5000"),
        ])
        .unwrap();

        assert_eq!(config.request_limits.ip.limit, 20);
        assert_eq!(config.request_limits.ip.window.whole_seconds(), 60);
        assert_eq!(config.request_limits.anonymous.limit, 100);
        assert_eq!(config.request_limits.authenticated.limit, 5000);
    }

    #[test]
    fn login_limits_are_configurable() {
        let config = load(&[
            ("RAMPART_LIMITS_LOGIN_FAILURES_PER_PAIR", "7"),
            ("RAMPART_LIMITS_LOGIN_FAILURES_PER_USERNAME", "50"),
            ("RAMPART_LIMITS_LOGIN_FAILURES_PER_IP", "30"),
        ])
        .unwrap();

        assert_eq!(config.lockout.pair_limit, 7);
        assert_eq!(config.lockout.delay_threshold, 50);
        assert_eq!(config.lockout.ip_limit, 30);
        assert_eq!(
            config.lockout.lock_duration,
            LockoutPolicy::default().lock_duration
        );
    }

    #[test]
    fn login_limits_default_to_policy() {
        let config = load(&[]).unwrap();

        assert_eq!(config.lockout, LockoutPolicy::default());
    }

    #[test]
    fn zero_login_limit_is_rejected() {
        let error = load(&[("RAMPART_LIMITS_LOGIN_FAILURES_PER_IP", "0")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("limits.login_failures_per_ip"), "{error}");
    }

    #[test]
    fn zero_limit_is_rejected() {
        let error = load(&[("RAMPART_LIMITS_ANONYMOUS_PER_HOUR", "0")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("limits.anonymous_per_hour"), "{error}");
    }
}
