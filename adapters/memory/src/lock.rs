//! Locking a store's mutex with poisoning reported as a store error.

use std::sync::{Mutex, MutexGuard};

use rampart_ports::StoreError;

/// Locks `state`.
///
/// # Errors
/// [`StoreError::Other`] when a thread panicked while holding the lock, because the state may
/// then be half updated.
pub(crate) fn lock<T>(state: &Mutex<T>) -> Result<MutexGuard<'_, T>, StoreError> {
    state.lock().map_err(|_| {
        StoreError::other(
            "lock memory store",
            "a thread panicked while holding the store lock",
        )
    })
}
