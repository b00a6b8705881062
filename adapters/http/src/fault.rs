//! A route that panics, so end-to-end tests can check a 500 response and its headers.
//!
//! It is mounted only when [`crate::HttpOptions::test_fault_route`] is set, and only in debug
//! builds: release builds leave this module out, so no configuration can reach it there. The
//! `rampart` binary sets the option from `RAMPART_TEST_FAULT_ROUTE=1` in `development` only.

use poem::{Response, Route, get, handler};

/// The path of the route.
pub const FAULT_ROUTE: &str = "/__test/panic";

/// Adds the route to `route`.
pub(crate) fn mount(route: Route) -> Route {
    route.at(FAULT_ROUTE, get(panic_now))
}

#[handler]
#[allow(
    clippy::panic,
    reason = "the route exists to panic, so the panic handler's 500 can be tested"
)]
fn panic_now() -> Response {
    panic!("panic requested through the test fault route");
}
