//! The `cors.*`, `blocking.*` and `validation.*` keys, and the test-only fault route: what the
//! request filters in front of every operation allow, block and reject.

use rampart_domain::blocking::{AutoBlockPolicy, BlockingPolicy};
use rampart_domain::cors::CorsPolicy;
use rampart_domain::inspection::ValidationMode;
use rampart_domain::network::Cidr;
use serde::Deserialize;

use super::{ConfigError, Environment, Setting, split_list};

/// The variable that mounts `GET /__test/panic` for the end-to-end tests; it has no file key.
pub(crate) const TEST_FAULT_ROUTE: &str = "RAMPART_TEST_FAULT_ROUTE";

/// The `[blocking]` table of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBlocking {
    pub(super) ips: Option<Vec<String>>,
}

/// The `[validation]` table of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileValidation {
    pub(super) mode: Option<String>,
}

/// The request filters' settings, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filtering {
    pub(crate) cors: CorsPolicy,
    pub(crate) blocking: BlockingPolicy,
    pub(crate) validation: ValidationMode,
    /// Whether the test fault route is mounted: `RAMPART_TEST_FAULT_ROUTE=1` in development.
    pub(crate) test_fault_route: bool,
}

/// The filter settings as found, before validation.
pub(super) struct FilteringKeys<'a> {
    pub(super) cors_origins: &'a Setting,
    pub(super) blocked_ips: Setting,
    pub(super) validation_mode: Setting,
    pub(super) test_fault_route: Setting,
}

/// Validates the filter settings.
///
/// # Errors
/// [`ConfigError::Invalid`] for an origin that is not `scheme://host[:port]` (wildcards and
/// `null` included), an entry of `blocking.ips` that is not an address or CIDR range, an unknown
/// validation mode, or the test fault route requested in production.
pub(super) fn parse_filtering(
    keys: FilteringKeys<'_>,
    environment: Environment,
) -> Result<Filtering, ConfigError> {
    let origins = split_list(keys.cors_origins.value.clone());
    let cors = CorsPolicy::new(origins.iter().map(String::as_str)).map_err(|e| {
        keys.cors_origins.invalid(
            e.to_string(),
            "comma-separated origins such as https://app.example.com,http://localhost:3000",
        )
    })?;

    let ranges = split_list(keys.blocked_ips.value.clone())
        .iter()
        .map(|range| range.parse::<Cidr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            keys.blocked_ips.invalid(
                e.to_string(),
                "comma-separated IP addresses or CIDR ranges such as 203.0.113.7,2001:db8::/32",
            )
        })?;

    let validation = match keys.validation_mode.value.as_deref() {
        None => ValidationMode::default(),
        Some(name) => ValidationMode::parse(name).ok_or_else(|| {
            keys.validation_mode
                .invalid("unknown mode", "`block` (reject) or `log` (only record)")
        })?,
    };

    let test_fault_route = keys.test_fault_route.value.as_deref().map(str::trim) == Some("1");
    if test_fault_route && environment == Environment::Production {
        return Err(keys.test_fault_route.invalid(
            "a test-only route cannot be mounted in production",
            "the variable unset",
        ));
    }

    Ok(Filtering {
        cors,
        blocking: BlockingPolicy {
            ranges,
            auto_block: AutoBlockPolicy::default(),
        },
        validation,
        test_fault_route,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Config, ConfigError};
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, &move |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_block_nothing() {
        let filtering = load(&[]).unwrap().filtering;

        assert!(filtering.cors.is_empty());
        assert!(filtering.blocking.ranges.is_empty());
        assert_eq!(filtering.validation, ValidationMode::Block);
        assert!(!filtering.test_fault_route);
    }

    #[test]
    fn settings_are_parsed() {
        let filtering = load(&[
            (
                "RAMPART_CORS_ALLOWED_ORIGINS",
                "https://app.example.com, http://localhost:3000",
            ),
            ("RAMPART_BLOCKING_IPS", "203.0.113.7, 2001:db8::/32"),
            ("RAMPART_VALIDATION_MODE", "log"),
            (TEST_FAULT_ROUTE, "1"),
        ])
        .unwrap()
        .filtering;

        assert!(!filtering.cors.is_empty());
        assert_eq!(filtering.blocking.ranges.len(), 2);
        assert_eq!(filtering.validation, ValidationMode::Log);
        assert!(filtering.test_fault_route);
    }

    #[test]
    fn wildcard_origin_is_rejected() {
        let error = load(&[("RAMPART_CORS_ALLOWED_ORIGINS", "*")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("cors.allowed_origins"), "{error}");
        assert!(error.contains("wildcard"), "{error}");
    }

    #[test]
    fn bad_range_names_key() {
        let error = load(&[("RAMPART_BLOCKING_IPS", "10.0.0.0/33")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("blocking.ips"), "{error}");
        assert!(error.contains("RAMPART_BLOCKING_IPS"), "{error}");
    }

    #[test]
    fn unknown_mode_is_rejected() {
        let error = load(&[("RAMPART_VALIDATION_MODE", "off")])
            .unwrap_err()
            .to_string();

        assert!(error.contains("validation.mode"), "{error}");
    }

    #[test]
    fn fault_route_refused_in_production() {
        let error = load(&[("RAMPART_ENV", "production"), (TEST_FAULT_ROUTE, "1")])
            .unwrap_err()
            .to_string();

        assert!(error.contains(TEST_FAULT_ROUTE), "{error}");
    }
}
