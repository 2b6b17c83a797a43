//! Durations as the decimal numbers audit events and recordings carry.
//!
//! `as_secs_f64() * 1000.0` rounds twice and prints 0.348197 ms as `0.34819700000000003`;
//! dividing the whole nanoseconds once gives the `f64` nearest the exact decimal, which prints as
//! that decimal (for durations under about 104 days, whose nanoseconds an `f64` holds exactly).

use crate::decimal;
use std::time::Duration;

/// Nanoseconds in a millisecond and in a second.
const MILLI: u64 = 1_000_000;
const SECOND: u64 = 1_000_000_000;

/// `duration` in milliseconds, to the nanosecond.
pub fn millis(duration: Duration) -> f64 {
    nanos(duration) / 1e6
}

/// `duration` in seconds, to the nanosecond.
pub fn seconds(duration: Duration) -> f64 {
    nanos(duration) / 1e9
}

/// Appends [`millis`] as the decimal it stands for (`0.348197`, `2.0`), without going through
/// the `f64`: what `serde_json` writes for it, except that it never switches to an exponent.
pub fn write_millis(out: &mut Vec<u8>, duration: Duration) {
    write_scaled(out, duration, MILLI, 6);
}

/// Appends [`seconds`] as the decimal it stands for, like [`write_millis`].
pub fn write_seconds(out: &mut Vec<u8>, duration: Duration) {
    write_scaled(out, duration, SECOND, 9);
}

/// The whole nanoseconds of `duration`, converted once (a `u64` converts in one instruction;
/// only durations of centuries take the `u128` path). Both give the same `f64`.
#[allow(clippy::cast_precision_loss)] // the nearest f64 is the point
fn nanos(duration: Duration) -> f64 {
    match u64::try_from(duration.as_nanos()) {
        Ok(nanos) => nanos as f64,
        Err(_) => duration.as_nanos() as f64,
    }
}

/// Appends `duration` in units of `unit` nanoseconds, with up to `places` decimal places and
/// at least one (`2.0`, as `serde_json` writes a whole `f64`). Durations of centuries, whose
/// nanoseconds a `u64` does not hold, are written from the `f64`.
#[allow(clippy::cast_precision_loss)] // 10^6 and 10^9 are exact
fn write_scaled(out: &mut Vec<u8>, duration: Duration, unit: u64, places: usize) {
    let Ok(nanos) = u64::try_from(duration.as_nanos()) else {
        let value = self::nanos(duration) / unit as f64;
        out.extend_from_slice(value.to_string().as_bytes());
        return;
    };
    decimal::write_u64(out, nanos / unit);
    match nanos % unit {
        0 => out.extend_from_slice(b".0"),
        fraction => decimal::write_fraction(out, fraction, places),
    }
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

    fn written(write: fn(&mut Vec<u8>, Duration), duration: Duration) -> String {
        let mut out = b"x".to_vec();
        write(&mut out, duration);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_written_duration_is_what_serde_json_writes_for_its_f64() {
        for nanos in [
            348_197,
            1_336_176,
            2_500_000,
            3_000_000,
            1,
            10_000,
            12_345_678_901,
        ] {
            let d = Duration::from_nanos(nanos);
            let serde_ms = serde_json::to_string(&millis(d)).unwrap();
            let serde_s = serde_json::to_string(&seconds(d)).unwrap();
            // serde_json switches to an exponent for small numbers; the written text never does.
            if millis(d) >= 1e-3 {
                assert_eq!(written(write_millis, d), format!("x{serde_ms}"));
            }
            if seconds(d) >= 1e-3 {
                assert_eq!(written(write_seconds, d), format!("x{serde_s}"));
            }
        }
        assert_eq!(written(write_millis, Duration::ZERO), "x0.0");
        assert_eq!(written(write_millis, Duration::from_nanos(1)), "x0.000001");
        assert_eq!(written(write_seconds, Duration::from_secs(7)), "x7.0");
        let centuries = Duration::from_secs(u64::MAX);
        assert_eq!(
            written(write_seconds, centuries)[1..].parse::<f64>().ok(),
            Some(seconds(centuries))
        );
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

        #[test]
        fn a_written_duration_reads_back_as_its_f64(nanos in 0u64..(1u64 << 53)) {
            let d = Duration::from_nanos(nanos);
            prop_assert_eq!(written(write_millis, d)[1..].parse::<f64>().unwrap(), millis(d));
            prop_assert_eq!(written(write_seconds, d)[1..].parse::<f64>().unwrap(), seconds(d));
        }
    }
}
