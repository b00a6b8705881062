//! In-process stores for Rampart.
//!
//! [`MemoryLoginAttempts`], [`MemoryRateLimits`] and [`MemoryIpBlocks`] are the embedded default
//! of a single instance, and [`MemoryRevocations`] is on PostgreSQL without Redis (SQLite keeps
//! revocations in its file). Their state is lost on restart, which costs at most one access token
//! lifetime of revocations and one window of counters. [`MemoryRepositories`]
//! keeps users, posts, categories, refresh families and upload records for use-case tests and
//! demos; it has no persistence.
//!
//! Each store keeps its state behind one [`std::sync::Mutex`], held only for the synchronous
//! body of a call and never across an `.await`, so every call is one atomic step. The
//! repositories share one lock because some of their steps cross stores: deleting a user removes
//! their posts and families, and changing a password revokes families.
//!
//! The counters and revocations expire: each store drops entries whose window or `until` has
//! passed in a sweep that runs once a minute of store time or whenever the number of keys has
//! doubled since the last sweep, so memory stays proportional to the keys still live.
//!
//! [`FallbackRateLimits`] puts a [`MemoryRateLimits`] behind a shared rate-limit store, such as
//! Redis, for the time that store is down.

mod blocks;
mod categories;
mod fallback;
mod families;
mod lock;
mod login_attempts;
mod posts;
mod rate_limits;
mod records;
mod revocations;
mod sweep;
mod uploads;
mod user_stamps;
mod users;

pub use blocks::MemoryIpBlocks;
pub use fallback::FallbackRateLimits;
pub use login_attempts::MemoryLoginAttempts;
pub use rate_limits::MemoryRateLimits;
pub use records::MemoryRepositories;
pub use revocations::MemoryRevocations;
pub use user_stamps::MemoryUserStamps;
