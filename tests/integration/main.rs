#![cfg(test)]
//! End-to-end tests: each starts the real `rampart` binary and talks to it over HTTP.

mod bad_input;
mod flow;
mod lockout;
mod openapi;
mod redis_outage;
mod shared_redis;
mod throttle;
mod tokens;
