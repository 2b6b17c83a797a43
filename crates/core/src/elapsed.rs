//! Durations as the decimal numbers audit events and recordings carry.
//!
//! `as_secs_f64() * 1000.0` rounds twice and prints 0.348197 ms as `0.34819700000000003`;
//! dividing the whole nanoseconds once gives the `f64` nearest the exact decimal, which prints as
//! that decimal (for durations under about 104 days, whose nanoseconds an `f64` holds exactly).

use std::time::Duration;

/// `duration` in milliseconds, to the nanosecond.
pub fn millis(duration: Duration) -> f64 {
    duration.as_nanos() as f64 / 1e6
}

/// `duration` in seconds, to the nanosecond.
pub fn seconds(duration: Duration) -> f64 {
    duration.as_nanos() as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_duration_prints_as_its_decimal() {
        assert_eq!(
            millis(Duration::from_nanos(348_197)).to_string(),
            "0.348197"
        );
        assert_eq!(
            millis(Duration::from_nanos(1_336_176)).to_string(),
            "1.336176"
        );
        assert_eq!(
            seconds(Duration::new(12, 345_678_901)).to_string(),
            "12.345678901"
        );
        assert_eq!(millis(Duration::from_micros(2_500)), 2.5);
        assert_eq!(millis(Duration::ZERO), 0.0);
    }

    proptest! {
        #[test]
        fn millis_and_seconds_are_the_nearest_f64_to_the_exact_decimal(
            nanos in 0u64..(1u64 << 53)
        ) {
            let d = Duration::from_nanos(nanos);
            let ms = format!("{}.{:06}", nanos / 1_000_000, nanos % 1_000_000);
            prop_assert_eq!(millis(d), ms.parse::<f64>().unwrap());
            let s = format!("{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000);
            prop_assert_eq!(seconds(d), s.parse::<f64>().unwrap());
        }
    }
}
