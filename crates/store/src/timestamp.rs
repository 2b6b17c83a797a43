//! How timestamps are stored: RFC 3339 UTC text with exactly six fractional digits and `Z`
//! (`2026-05-06T07:08:09.123456Z`). Fixed width, so text order is time order on both backends
//! (PostgreSQL columns use `COLLATE "C"`), and the audit hash covers exactly the stored text.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// The stored form of `time`, truncated to the microsecond.
pub(crate) fn format(time: &DateTime<Utc>) -> String {
    time.trunc_subsecs(6)
        .to_rfc3339_opts(SecondsFormat::Micros, true)
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
