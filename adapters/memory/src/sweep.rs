//! When to sweep expired keys out of a map.
//!
//! A sweep walks every key, so running it on every call would make a call cost O(keys). Running
//! it once per [`SWEEP_INTERVAL`] of store time, and whenever the map has doubled since the last
//! sweep, keeps the amortized cost O(1) per inserted key and the map at most about twice the
//! size of its live keys (and never more than [`MIN_SWEEP_LEN`] keys between sweeps when few are
//! live), even under a flood of distinct client IPs.

use time::{Duration, OffsetDateTime};

/// Store time between two time-triggered sweeps.
pub(crate) const SWEEP_INTERVAL: Duration = Duration::minutes(1);

/// Map length below which only the time trigger sweeps.
pub(crate) const MIN_SWEEP_LEN: usize = 1024;

/// The next time and map length at which a sweep is due.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SweepSchedule {
    next_at: Option<OffsetDateTime>,
    next_len: usize,
}

impl SweepSchedule {
    /// A schedule whose first sweep is due on the first call.
    pub(crate) const fn new() -> Self {
        Self {
            next_at: None,
            next_len: MIN_SWEEP_LEN,
        }
    }

    /// Returns whether a map of `len` keys is due for a sweep at `now`.
    pub(crate) fn is_due(&self, len: usize, now: OffsetDateTime) -> bool {
        len >= self.next_len || self.next_at.is_none_or(|at| now >= at)
    }

    /// Records a sweep at `now` that left `len` keys.
    pub(crate) fn swept(&mut self, len: usize, now: OffsetDateTime) {
        self.next_at = Some(now + SWEEP_INTERVAL);
        self.next_len = len.saturating_mul(2).max(MIN_SWEEP_LEN);
    }
}

impl Default for SweepSchedule {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[test]
    fn new_schedule_is_due_at_once() {
        assert!(SweepSchedule::new().is_due(0, T0));
    }

    #[test]
    fn schedule_waits_one_interval() {
        let mut schedule = SweepSchedule::new();
        schedule.swept(10, T0);

        assert!(!schedule.is_due(10, T0 + SWEEP_INTERVAL - Duration::SECOND));
        assert!(schedule.is_due(10, T0 + SWEEP_INTERVAL));
    }

    #[test]
    fn schedule_is_due_when_map_doubles() {
        let mut schedule = SweepSchedule::new();
        schedule.swept(5000, T0);

        assert!(!schedule.is_due(9999, T0));
        assert!(schedule.is_due(10_000, T0));
    }

    #[test]
    fn small_maps_wait_for_minimum_length() {
        let mut schedule = SweepSchedule::new();
        schedule.swept(3, T0);

        assert!(!schedule.is_due(MIN_SWEEP_LEN - 1, T0));
        assert!(schedule.is_due(MIN_SWEEP_LEN, T0));
    }
}
