//! RFC 8785 (JCS) canonical JSON of an event, written straight into a buffer.
//!
//! The output is byte-for-byte what `serde_jcs` produces for the same fields (the tests compare
//! them), without building an intermediate `Value` or re-parsing keys and numbers: the event's
//! own keys are written in their fixed sorted order, object keys inside `detail` are sorted by
//! UTF-16 code units, strings are escaped as JSON.stringify does, and every number is printed as
//! the IEEE double it denotes, in ECMAScript's shortest form.

use crate::timestamp;
use serde_json::{Number, Value};
use std::cmp::Ordering;
use warden_core::{AuditRecord, decimal};

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CanonicalError(String);

/// Appends the canonical JSON of `{seq, time, node, kind, identity, connection, session, action,
/// verdict, rule, detail}` to `out`.
pub fn write_event(
    out: &mut Vec<u8>,
    seq: u64,
    node: &str,
    record: &AuditRecord,
) -> Result<(), CanonicalError> {
    write_fields(out, seq, node, record, |out| {
        write_value(out, &record.detail).map(|_| ())
    })
}

/// [`write_event`] with the detail already written as canonical JSON (`record.detail` is not
/// looked at).
pub fn write_event_with(
    out: &mut Vec<u8>,
    seq: u64,
    node: &str,
    record: &AuditRecord,
    detail: &[u8],
) -> Result<(), CanonicalError> {
    write_fields(out, seq, node, record, |out| {
        out.extend_from_slice(detail);
        Ok(())
    })
}

fn write_fields(
    out: &mut Vec<u8>,
    seq: u64,
    node: &str,
    record: &AuditRecord,
    detail: impl FnOnce(&mut Vec<u8>) -> Result<(), CanonicalError>,
) -> Result<(), CanonicalError> {
    // Keys in UTF-16 (here: ASCII) order.
    out.extend_from_slice(b"{\"action\":");
    write_optional(out, record.action.as_deref());
    out.extend_from_slice(b",\"connection\":");
    write_optional(out, record.connection.as_deref());
    out.extend_from_slice(b",\"detail\":");
    detail(out)?;
    out.extend_from_slice(b",\"identity\":");
    write_optional(out, record.identity.as_deref());
    out.extend_from_slice(b",\"kind\":");
    write_str(out, record.kind.as_str());
    out.extend_from_slice(b",\"node\":");
    write_str(out, node);
    out.extend_from_slice(b",\"rule\":");
    write_optional(out, record.rule.as_deref());
    out.extend_from_slice(b",\"seq\":");
    #[allow(clippy::cast_precision_loss)]
    // JCS numbers are doubles; serde_jcs converts the same way
    write_f64(out, seq as f64)?;
    out.extend_from_slice(b",\"session\":");
    write_optional(out, record.session.as_deref());
    out.extend_from_slice(b",\"time\":");
    timestamp::write_quoted(out, &record.time);
    out.extend_from_slice(b",\"verdict\":");
    write_optional(out, record.verdict.map(|v| v.as_str()));
    out.push(b'}');
    Ok(())
}

/// Appends the canonical JSON of `value` to `out`. Returns whether an integer in it was
/// rounded to the double RFC 8785 writes (beyond 2^53), so that the text does not read back as
/// `value` exactly.
pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<bool, CanonicalError> {
    let mut rounded = false;
    write_any(out, value, &mut rounded)?;
    Ok(rounded)
}

fn write_any(out: &mut Vec<u8>, value: &Value, rounded: &mut bool) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => *rounded |= write_number(out, number)?,
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_any(out, item, rounded)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Objects Warden builds itself usually hold their keys in order already.
            let sorted = map
                .keys()
                .zip(map.keys().skip(1))
                .all(|(a, b)| utf16_cmp(a, b) == Ordering::Less);
            if sorted {
                write_entries(out, map.iter(), rounded)?;
            } else {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
                write_entries(out, entries.into_iter(), rounded)?;
            }
        }
    }
    Ok(())
}

/// The members of an object, in the order given, between braces.
fn write_entries<'a>(
    out: &mut Vec<u8>,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    rounded: &mut bool,
) -> Result<(), CanonicalError> {
    out.push(b'{');
    for (i, (key, item)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        write_any(out, item, rounded)?;
    }
    out.push(b'}');
    Ok(())
}

pub(super) fn write_optional(out: &mut Vec<u8>, value: Option<&str>) {
    warden_core::json_str::write_optional(out, value);
}

/// A JSON string: `"` and `\` escaped, control characters as `\b \t \n \f \r` or `\u00xx`,
/// everything else (including non-ASCII) as is.
pub(super) fn write_str(out: &mut Vec<u8>, s: &str) {
    warden_core::json_str::write_str(out, s);
}

/// Writes `number`; returns whether it was an integer rounded to a double.
#[allow(clippy::cast_precision_loss)] // JCS numbers are doubles; serde_jcs converts the same way
fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<bool, CanonicalError> {
    if let Some(u) = number.as_u64() {
        return write_u64(out, u);
    }
    let (value, rounded) = if let Some(i) = number.as_i64() {
        (i as f64, i.unsigned_abs() > EXACT)
    } else {
        let value = number
            .as_f64()
            .ok_or_else(|| CanonicalError(format!("number {number} is not a double")))?;
        (value, false)
    };
    write_f64(out, value)?;
    Ok(rounded)
}

/// Largest integer every smaller one of which a double holds exactly: 2^53.
const EXACT: u64 = 1 << 53;

/// Writes `value` as RFC 8785 does (as a double); returns whether that rounded it.
#[allow(clippy::cast_precision_loss)] // JCS numbers are doubles; serde_jcs converts the same way
pub(super) fn write_u64(out: &mut Vec<u8>, value: u64) -> Result<bool, CanonicalError> {
    if value <= EXACT {
        // A double holds it exactly, and ECMAScript prints such a double as its digits.
        decimal::write_u64(out, value);
        return Ok(false);
    }
    write_f64(out, value as f64)?;
    Ok(true)
}

pub(super) fn write_f64(out: &mut Vec<u8>, value: f64) -> Result<(), CanonicalError> {
    if !value.is_finite() {
        return Err(CanonicalError(format!("{value} has no JSON form")));
    }
    out.extend_from_slice(ryu_js::Buffer::new().format_finite(value).as_bytes());
    Ok(())
}

/// Writes a duration in milliseconds as RFC 8785 does, as [`write_f64`] would. Durations are
/// whole nanoseconds divided once by 10^6 (`warden_core::elapsed::millis`), and below 10^9 ms
/// such a double prints as that exact decimal (at most 15 significant digits, which a double
/// tells apart), so it is written from the nanoseconds with integer arithmetic; anything else
/// goes through [`write_f64`].
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub(super) fn write_millis(out: &mut Vec<u8>, millis: f64) -> Result<(), CanonicalError> {
    if !(0.0..1e9).contains(&millis) || millis.is_sign_negative() {
        return write_f64(out, millis);
    }
    let nanos = (millis * 1e6).round() as u64;
    if nanos as f64 / 1e6 != millis {
        return write_f64(out, millis);
    }
    decimal::write_u64(out, nanos / 1_000_000);
    decimal::write_fraction(out, nanos % 1_000_000, 6);
    Ok(())
}

/// Orders object keys as JCS does: by UTF-16 code units.
pub(super) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.as_bytes().cmp(b.as_bytes())
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
