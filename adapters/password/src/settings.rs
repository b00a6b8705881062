//! Argon2id cost parameters and the size of the hashing queue, with their validation.
//!
//! This module only describes and checks settings. It hashes nothing and spawns nothing.

use std::num::NonZeroUsize;
use std::thread;

use argon2::Params;

/// Maximum memory cost accepted in settings and in stored hashes: 1 GiB, in KiB.
///
/// The limits bound the work a stored hash can demand, so a tampered hash with
/// `m=4294967295` fails as malformed instead of allocating 4 TiB. They are far above the
/// argon2 crate's defaults (19 MiB, 2 iterations, 1 lane).
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// Maximum number of iterations accepted in settings and in stored hashes.
pub const MAX_ITERATIONS: u32 = 64;
/// Maximum degree of parallelism (lanes) accepted in settings and in stored hashes.
pub const MAX_PARALLELISM: u32 = 64;
/// Maximum number of hashing threads accepted in settings.
const MAX_THREADS: u64 = 1024;

/// Argon2id costs and the maximum number of hashing jobs in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    /// Memory cost `m` in KiB.
    pub memory_kib: u32,
    /// Time cost `t`: passes over the memory.
    pub iterations: u32,
    /// Degree of parallelism `p`: lanes, computed one after the other by this build.
    pub parallelism: u32,
    /// Maximum number of hashing jobs in flight. A request beyond it gets `HashError::Busy`
    /// without waiting.
    pub queue_capacity: usize,
    /// Threads that hash, so the most hashes computed at once; jobs beyond wait in the queue.
    /// Hashing memory stays below `threads × memory_kib` KiB.
    pub threads: usize,
}

impl Default for Argon2Settings {
    /// Returns argon2id with m = 19456 KiB, t = 2, p = 1 (the argon2 crate's `Params::DEFAULT`),
    /// [`default_queue_capacity`] and [`default_threads`].
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            queue_capacity: default_queue_capacity(),
            threads: default_threads(),
        }
    }
}

/// Returns half the number of CPUs this process may use, at least 1.
///
/// A login flood then keeps at most half the CPUs busy with argon2 even before the scheduler
/// favors request handling over the lower-priority hashing threads.
pub fn default_threads() -> usize {
    (cpus() / 2).max(1)
}

fn cpus() -> usize {
    thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
}

/// Returns twice the number of CPUs this process may use, or 2 when that is unknown.
///
/// Admitted jobs beyond the hashing threads wait for a free one, so this bounds the wait of a
/// login, while hashing memory depends on the threads alone.
pub fn default_queue_capacity() -> usize {
    cpus().saturating_mul(2)
}

/// Error of invalid settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A setting is outside the range this adapter accepts.
    #[error("argon2 setting {name} must be between {min} and {max}, got {value}")]
    OutOfRange {
        name: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    /// The argon2 crate rejected the combination, for example less than 8 KiB per lane.
    #[error("invalid argon2 parameters")]
    Params(#[source] argon2::Error),
    /// Hashing the dummy password at construction failed.
    #[error("failed to hash the dummy password")]
    DummyHash(#[source] argon2::password_hash::Error),
    /// A hashing thread could not be started.
    #[error("failed to start a password hashing thread")]
    ThreadStart(#[source] std::io::Error),
}

impl Argon2Settings {
    /// Checks every setting and returns the argon2 parameters.
    ///
    /// # Errors
    /// [`SettingsError::OutOfRange`] for a value outside its range, [`SettingsError::Params`]
    /// for a combination argon2 rejects.
    pub fn params(&self) -> Result<Params, SettingsError> {
        check_range(
            "memory_kib",
            self.memory_kib.into(),
            Params::MIN_M_COST.into(),
            MAX_MEMORY_KIB.into(),
        )?;
        check_range(
            "iterations",
            self.iterations.into(),
            Params::MIN_T_COST.into(),
            MAX_ITERATIONS.into(),
        )?;
        check_range(
            "parallelism",
            self.parallelism.into(),
            Params::MIN_P_COST.into(),
            MAX_PARALLELISM.into(),
        )?;
        check_range(
            "queue_capacity",
            u64::try_from(self.queue_capacity).unwrap_or(u64::MAX),
            1,
            u64::try_from(tokio::sync::Semaphore::MAX_PERMITS).unwrap_or(u64::MAX),
        )?;
        check_range(
            "threads",
            u64::try_from(self.threads).unwrap_or(u64::MAX),
            1,
            MAX_THREADS,
        )?;
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(SettingsError::Params)
    }
}

/// Returns whether stored hash parameters are within the limits above.
pub(crate) fn within_limits(params: &Params) -> bool {
    params.m_cost() <= MAX_MEMORY_KIB
        && params.t_cost() <= MAX_ITERATIONS
        && params.p_cost() <= MAX_PARALLELISM
}

fn check_range(name: &'static str, value: u64, min: u64, max: u64) -> Result<(), SettingsError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SettingsError::OutOfRange {
            name,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_argon2_crate_default() {
        let settings = Argon2Settings::default();

        assert_eq!(settings.memory_kib, 19456);
        assert_eq!(settings.iterations, 2);
        assert_eq!(settings.parallelism, 1);
        assert!(settings.queue_capacity >= 2);
        assert!(settings.params().is_ok());
    }

    #[test]
    fn zero_threads_are_rejected() {
        let settings = Argon2Settings {
            threads: 0,
            ..Argon2Settings::default()
        };

        assert!(matches!(
            settings.params(),
            Err(SettingsError::OutOfRange {
                name: "threads",
                ..
            })
        ));
    }

    #[test]
    fn default_threads_are_half_the_cpus() {
        let threads = default_threads();

        assert!(threads >= 1);
        assert!(threads <= cpus().max(1));
    }

    #[test]
    fn zero_queue_capacity_is_rejected() {
        let settings = Argon2Settings {
            queue_capacity: 0,
            ..Argon2Settings::default()
        };

        assert!(matches!(
            settings.params(),
            Err(SettingsError::OutOfRange {
                name: "queue_capacity",
                ..
            })
        ));
    }

    #[test]
    fn memory_over_max_is_rejected() {
        let settings = Argon2Settings {
            memory_kib: MAX_MEMORY_KIB + 1,
            ..Argon2Settings::default()
        };

        let error = settings.params().unwrap_err();

        assert!(error.to_string().contains("memory_kib"), "{error}");
    }

    #[test]
    fn too_little_memory_per_lane_is_rejected() {
        let settings = Argon2Settings {
            memory_kib: 16,
            parallelism: 4,
            ..Argon2Settings::default()
        };

        assert!(matches!(settings.params(), Err(SettingsError::Params(_))));
    }

    #[test]
    fn zero_iterations_are_rejected() {
        let settings = Argon2Settings {
            iterations: 0,
            ..Argon2Settings::default()
        };

        assert!(matches!(
            settings.params(),
            Err(SettingsError::OutOfRange {
                name: "iterations",
                ..
            })
        ));
    }
}
