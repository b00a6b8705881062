//! Argon2id password hashing for Rampart.
//!
//! [`Argon2PasswordHasher`] implements the `PasswordHasher` port with the argon2 crate. Hashing
//! and verifying run behind a bounded queue on threads of their own (half the CPUs by default)
//! at a lower priority, so they never block the async workers. A burst of logins beyond the
//! queue gets `HashError::Busy` instead of using unbounded memory.
//! Passwords arrive NFC-normalized from the domain; this crate hashes their UTF-8 bytes as they
//! are.

mod hasher;
mod pool;
mod settings;

pub use hasher::Argon2PasswordHasher;
pub use settings::{
    Argon2Settings, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, SettingsError,
    default_queue_capacity, default_threads,
};
