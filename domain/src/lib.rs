//! Rampart's domain: users, roles, posts, categories, uploads, the password, lockout, throttle,
//! permission and upload policies, and token claims.
//!
//! Everything here is pure and synchronous. Nothing in this crate reads the clock, touches a file
//! or a socket, or knows about HTTP, SQL or tokens on the wire: rules that depend on time take
//! `now` as an argument, and I/O lives behind the traits of `rampart-ports`.

pub mod blocking;
pub mod category;
pub mod common_passwords;
pub mod cors;
pub mod csrf;
pub mod event;
pub mod filename;
pub mod inspection;
pub mod lockout;
pub mod network;
pub mod page;
pub mod password;
pub mod permission;
pub mod plain_text;
pub mod post;
pub mod throttle;
pub mod token;
pub mod upload;
pub mod upload_policy;
pub mod user;

pub use time::{Duration, OffsetDateTime};
