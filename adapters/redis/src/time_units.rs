//! Times and durations as the whole microseconds and milliseconds the scripts work in.
//!
//! Microseconds since the Unix epoch stay below 2^53 until the year 2255, so Lua's doubles and
//! Redis's sorted-set scores hold them exactly.

use time::{Duration, OffsetDateTime};

/// Returns `at` in whole microseconds since the Unix epoch, rounded down.
pub(crate) fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1000)).unwrap_or(i64::MAX)
}

/// Returns `span` in whole microseconds, rounded toward zero.
pub(crate) fn span_micros(span: Duration) -> i64 {
    i64::try_from(span.whole_microseconds()).unwrap_or(i64::MAX)
}

/// Returns `span` in whole milliseconds, rounded up and at least 1, for `PEXPIRE` and `PX`.
pub(crate) fn ttl_millis(span: Duration) -> i64 {
    let micros = span_micros(span);
    micros.saturating_add(999).div_euclid(1000).max(1)
}

/// Turns microseconds since the epoch back into a time.
pub(crate) fn from_micros(value: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(value) * 1000).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn micros_round_trip() {
        let at = datetime!(2025-01-01 12:00:00.5 UTC);

        assert_eq!(from_micros(micros(at)), Some(at));
    }

    #[test]
    fn ttl_rounds_up_to_millisecond() {
        assert_eq!(ttl_millis(Duration::microseconds(1001)), 2);
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::minutes(1)), 60_000);
    }
}
