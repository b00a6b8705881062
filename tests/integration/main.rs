#![cfg(test)]
//! End-to-end tests: each starts the real `rampart` binary and talks to it over HTTP.

mod attack_corpus;
mod bad_input;
mod blocking;
mod cors;
mod flow;
mod lockout;
mod nginx;
mod openapi;
mod redis_outage;
mod security_headers;
mod shared_redis;
mod throttle;
mod tokens;
mod transport;
