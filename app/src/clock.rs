//! The system clock: the one place that reads wall time.

use rampart_ports::Clock;
use time::OffsetDateTime;

/// Reads the system clock in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "this adapter is the one source of wall time"
    )]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
