//! Builds the request guard: blocking, auto-block and the security events of CORS and request
//! validation.

use std::sync::Arc;

use rampart_ports::usecases::{Deps, GuardDeps, RequestGuard};

use crate::config::Config;

/// Builds the guard on the rate-limit store, clock and event sink of `deps`.
pub(crate) fn request_guard(config: &Config, deps: &Deps) -> RequestGuard {
    let filtering = &config.filtering;
    tracing::info!(
        blocking.ips = filtering.blocking.ranges.len(),
        validation.mode = filtering.validation.as_str(),
        "request filters configured"
    );
    if filtering.test_fault_route {
        tracing::warn!(
            variable = crate::config::filtering::TEST_FAULT_ROUTE,
            "test fault route requested: debug builds serve GET /__test/panic"
        );
    }
    RequestGuard::new(GuardDeps {
        // NOTE: the IP block list stays in process even with `redis.url` set, so an auto-block
        // holds on the instance that made it only. rampart-redis implements IpBlockStore; it is
        // not wired here yet.
        blocks: Arc::new(rampart_memory::MemoryIpBlocks::new()),
        counters: deps.rate_limits.clone(),
        clock: deps.clock.clone(),
        events: deps.events.clone(),
        blocking: filtering.blocking.clone(),
        validation: filtering.validation,
    })
}
