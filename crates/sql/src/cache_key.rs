//! The cache key of a statement: its exact text, or — for plain data statements — the text with
//! numeric literals replaced, so `... WHERE id = 1` and `... WHERE id = 2` share one entry.
//!
//! Numbers decide the class of some statements (`SET default_transaction_read_only = 0` turns
//! read-only off, `= 1` turns it on), so the rewrite applies only where they cannot: a single
//! statement that starts with SELECT, INSERT, UPDATE, DELETE, WITH, VALUES or TABLE and holds no
//! quote, dollar sign, backslash, comment or inner semicolon, so every digit run the scan sees
//! is a token of the statement itself, never part of a string, identifier or setting value.
//! A digit run glued to a letter or underscore (`12x1f`, `1_000`, `7e5`) keeps its digits: a `0`
//! there could turn text the parser rejects into a hex, octal or binary literal it accepts.

use std::borrow::Cow;

const DATA_STATEMENTS: [&str; 7] = [
    "select", "insert", "update", "delete", "with", "values", "table",
];

/// The text to cache `sql` under.
pub(crate) fn cache_key(sql: &str) -> Cow<'_, str> {
    let mut out = String::new();
    if eligible(sql) && rewrite(sql, &mut out) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(sql)
    }
}

/// Writes the text to cache `sql` under into `out`, replacing what it held.
pub(crate) fn write_cache_key(sql: &str, out: &mut String) {
    out.clear();
    if !(eligible(sql) && rewrite(sql, out)) {
        out.clear();
        out.push_str(sql);
    }
}

/// Appends `sql` with its numeric literals replaced to `out` and returns true, or returns false
/// (leaving `out` as it was) when it has none to replace. `sql` must be [`eligible`].
fn rewrite(sql: &str, out: &mut String) -> bool {
    let bytes = sql.as_bytes();
    let mut copied = 0;
    let mut index = 0;
    let mut changed = false;
    while index < bytes.len() {
        let byte = bytes[index];
        if !byte.is_ascii_digit() {
            index += 1;
            continue;
        }
        let end = bytes[index..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |n| index + n);
        let in_word =
            index > 0 && (bytes[index - 1].is_ascii_alphanumeric() || bytes[index - 1] == b'_');
        // `12x1f`, `3b1`, `7e5`, `1_000`: the digits are part of a longer token (or trailing
        // junk the parser rejects), and a `0` in their place could make a different one (`0x1f`).
        let glued = bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
        if !in_word && !glued && (end - index != 1 || byte != b'0') {
            if !changed {
                out.reserve(sql.len());
            }
            // `sql` is ASCII (see `eligible`), so every index is a char boundary.
            out.push_str(&sql[copied..index]);
            out.push('0');
            copied = end;
            changed = true;
        }
        index = end;
    }
    if changed {
        out.push_str(&sql[copied..]);
    }
    changed
}

fn eligible(sql: &str) -> bool {
    let trimmed = sql.trim_end().trim_end_matches(';');
    // One pass: ASCII only, no quote, dollar, backslash or comment, no `;` before the end.
    let mut previous = 0;
    for (index, &byte) in sql.as_bytes().iter().enumerate() {
        match byte {
            b'\'' | b'"' | b'$' | b'\\' | b'`' => return false,
            b'-' if previous == b'-' => return false,
            b'*' if previous == b'/' => return false,
            b';' if index < trimmed.len() => return false,
            _ if !byte.is_ascii() => return false,
            _ => {}
        }
        previous = byte;
    }
    let first = trimmed
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    DATA_STATEMENTS
        .iter()
        .any(|keyword| first.eq_ignore_ascii_case(keyword))
}

#[cfg(test)]
#[path = "cache_key_tests.rs"]
mod tests;
