#![cfg(test)]
//! End-to-end tests: each starts the real `rampart` binary and talks to it over HTTP.

mod account_deletion;
mod account_limits;
mod attack_corpus;
mod bad_input;
mod blocking;
mod cookie_session;
mod cors;
mod flow;
mod hash_queue;
mod lockout;
mod login_logging;
mod nginx;
mod openapi;
mod postgres;
mod redis_outage;
mod security_headers;
mod shared_redis;
mod strict_bodies;
mod throttle;
mod tokens;
mod transport;
mod upload_attacks;
mod upload_files;
mod uploads;
