//! Rampart's HTTP adapter: the OpenAPI operations on poem-openapi, problem details for every
//! error, and the middleware around them.
//!
//! Handlers only convert wire types into use-case input and back; every decision is made in the
//! use cases and the domain. Nothing here talks to a store directly.

pub mod api;
pub mod errors;
#[cfg(debug_assertions)]
pub mod fault;
pub mod middleware;
pub mod problem;
mod redirect;
mod routes;
pub mod security;
pub mod state;
mod strict;

pub use middleware::RequestLimits;
pub use redirect::build_https_redirect;
pub use routes::{HttpOptions, build_app, openapi_json};
pub use state::{Handlers, HttpState, ReadinessProbe};
