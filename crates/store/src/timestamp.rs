//! How timestamps are stored: RFC 3339 UTC text with exactly six fractional digits and `Z`
//! (`2026-05-06T07:08:09.123456Z`). Fixed width, so text order is time order on both backends
//! (PostgreSQL columns use `COLLATE "C"`), and the audit hash covers exactly the stored text.

use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Timelike, Utc};
use warden_core::decimal;

/// The stored form of `time`, truncated to the microsecond.
pub(crate) fn format(time: &DateTime<Utc>) -> String {
    time.trunc_subsecs(6)
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Appends the stored form of `time` in JSON quotes (it needs no escapes), as
/// [`format`] writes it, without building a string.
pub(crate) fn write_quoted(out: &mut Vec<u8>, time: &DateTime<Utc>) {
    // The fields of the naive time: `DateTime`'s own accessors apply the offset on every call.
    let naive = time.naive_utc();
    let nanos = naive.nanosecond();
    let year = naive.year();
    // A leap second (nanoseconds past 10^9) or a year of other than four digits: chrono writes it.
    let (Ok(year @ 0..=9999), 0..=999_999_999) = (u32::try_from(year), nanos) else {
        out.push(b'"');
        out.extend_from_slice(format(time).as_bytes());
        out.push(b'"');
        return;
    };
    out.push(b'"');
    decimal::write_padded(out, u64::from(year), 4);
    let fields = [
        (b'-', naive.month()),
        (b'-', naive.day()),
        (b'T', naive.hour()),
        (b':', naive.minute()),
        (b':', naive.second()),
    ];
    for (separator, value) in fields {
        out.push(separator);
        decimal::write_padded(out, u64::from(value), 2);
    }
    out.push(b'.');
    decimal::write_padded(out, u64::from(nanos / 1000), 6);
    out.extend_from_slice(b"Z\"");
}

/// `time` truncated to the precision the store keeps.
pub(crate) fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

/// Parses the stored form; anything else (another offset, other precision) is rejected so that
/// what is hashed is always exactly what is stored.
pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, String> {
    let time = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("timestamp {text:?} is not RFC 3339: {e}"))?
        .with_timezone(&Utc);
    if format(&time) != text {
        return Err(format!(
            "timestamp {text:?} is not in the stored form YYYY-MM-DDTHH:MM:SS.ffffffZ"
        ));
    }
    Ok(time)
}

#[cfg(test)]
#[path = "timestamp_tests.rs"]
mod tests;
