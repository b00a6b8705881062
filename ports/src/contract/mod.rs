//! Shared contract suites for store adapters.
