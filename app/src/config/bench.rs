//! The `bench.stack_off` key: a benchmarking switch that serves without the security
//! middleware, so that a benchmark can measure what the middleware costs.
//!
//! It is accepted only when `env` is `development`, and `rampart serve` logs a warning when it
//! is on. It is not part of the API and does not appear in the OpenAPI document.

use serde::Deserialize;

use super::{ConfigError, Environment, Setting};

/// The `[bench]` table of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBench {
    pub(super) stack_off: Option<bool>,
}

/// Parses `bench.stack_off`.
///
/// # Errors
/// [`ConfigError::Invalid`] for a value that is not a boolean, or for `true` when `env` is not
/// `development`.
pub(super) fn parse_stack_off(
    setting: &Setting,
    environment: Environment,
) -> Result<bool, ConfigError> {
    let stack_off = match setting
        .value
        .as_deref()
        .map(|v| v.trim().to_ascii_lowercase())
    {
        None => false,
        Some(value) => match value.as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(setting.invalid("not a boolean", "`true` or `false`")),
        },
    };
    if stack_off && environment != Environment::Development {
        return Err(setting.invalid(
            "serving without the security middleware is for benchmarks in development only",
            "`false`, or env = development",
        ));
    }
    Ok(stack_off)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Config, ConfigError};

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, &move |name| vars.get(name).cloned())
    }

    #[test]
    fn stack_is_on_by_default() {
        let config = load(&[]).unwrap();

        assert!(!config.bench_stack_off);
    }

    #[test]
    fn stack_off_in_development() {
        let config = load(&[("RAMPART_BENCH_STACK_OFF", "1")]).unwrap();

        assert!(config.bench_stack_off);
    }

    #[test]
    fn stack_off_rejected_in_production() {
        let error = load(&[
            ("RAMPART_ENV", "production"),
            ("RAMPART_BENCH_STACK_OFF", "true"),
        ])
        .unwrap_err()
        .to_string();

        assert!(error.contains("bench.stack_off"), "{error}");
        assert!(error.contains("RAMPART_BENCH_STACK_OFF"), "{error}");
        assert!(error.contains("development"), "{error}");
    }

    #[test]
    fn stack_off_not_boolean_is_rejected() {
        let error = load(&[("RAMPART_BENCH_STACK_OFF", "maybe")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("bench.stack_off"), "{error}");
    }

    #[test]
    fn stack_off_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rampart.toml");
        std::fs::write(&path, "[bench]\nstack_off = true\n").unwrap();

        let config = Config::from_sources(Some(&path), &|_| None).unwrap();

        assert!(config.bench_stack_off);
    }
}
