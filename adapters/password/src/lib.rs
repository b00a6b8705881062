//! Argon2id password hashing for Rampart.
//!
//! [`Argon2PasswordHasher`] implements the `PasswordHasher` port with the argon2 crate. Hashing
//! and verifying run on tokio's blocking threads behind a bounded queue, so they never stall
//! the async workers and a burst of logins gets `HashError::Busy` instead of unbounded memory.
//! Passwords arrive NFC-normalized from the domain; this crate hashes their UTF-8 bytes as they
//! are.

mod hasher;
mod settings;

pub use hasher::Argon2PasswordHasher;
pub use settings::{
    Argon2Settings, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, SettingsError,
    default_queue_capacity,
};
