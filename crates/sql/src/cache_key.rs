//! The cache key of a statement: its exact text, or — for plain data statements — the text with
//! numeric literals replaced, so `... WHERE id = 1` and `... WHERE id = 2` share one entry.
//!
//! Numbers decide the class of some statements (`SET default_transaction_read_only = 0` turns
//! read-only off, `= 1` turns it on), so the rewrite applies only where they cannot: a single
//! statement that starts with SELECT, INSERT, UPDATE, DELETE, WITH, VALUES or TABLE and holds no
//! quote, dollar sign, backslash, comment or inner semicolon, so every digit run the scan sees
//! is a token of the statement itself, never part of a string, identifier or setting value.

use std::borrow::Cow;

const DATA_STATEMENTS: [&str; 7] = [
    "select", "insert", "update", "delete", "with", "values", "table",
];

/// The text to cache `sql` under.
pub(crate) fn cache_key(sql: &str) -> Cow<'_, str> {
    if !eligible(sql) {
        return Cow::Borrowed(sql);
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut index = 0;
    let mut changed = false;
    while let Some(&byte) = bytes.get(index) {
        let previous = index.checked_sub(1).and_then(|i| bytes.get(i)).copied();
        let in_word = previous.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'_');
        if byte.is_ascii_digit() && !in_word {
            let end = bytes
                .iter()
                .skip(index)
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| index + n);
            out.push('0');
            changed |= end - index != 1 || byte != b'0';
            index = end;
        } else {
            out.push(char::from(byte));
            index += 1;
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(sql)
    }
}

fn eligible(sql: &str) -> bool {
    if !sql.is_ascii()
        || sql
            .bytes()
            .any(|b| matches!(b, b'\'' | b'"' | b'$' | b'\\' | b'`'))
        || sql.contains("--")
        || sql.contains("/*")
    {
        return false;
    }
    let trimmed = sql.trim_end().trim_end_matches(';');
    if trimmed.contains(';') {
        return false;
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
