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
    if rewrite(sql, &mut out) {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(sql)
    }
}

/// Writes the text to cache `sql` under into `out`, replacing what it held.
pub(crate) fn write_cache_key(sql: &str, out: &mut String) {
    if !rewrite(sql, out) {
        out.clear();
        out.push_str(sql);
    }
}

/// What a byte means to the scan.
const PLAIN: u8 = 0;
/// A quote, dollar sign, backslash or backtick, or a byte of a non-ASCII character: the text
/// keeps its exact form.
const REJECT: u8 = 1;
/// `-`, `*` or `;`: a comment (`--`, `/*`) or a second statement, depending on what is around.
const WATCH: u8 = 2;
/// A digit.
const DIGIT: u8 = 3;

/// [`PLAIN`], [`REJECT`], [`WATCH`] or [`DIGIT`], for every byte.
const CLASSES: [u8; 256] = {
    let mut classes = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        classes[byte] = match byte as u8 {
            b'\'' | b'"' | b'$' | b'\\' | b'`' | 0x80..=0xff => REJECT,
            b'-' | b'*' | b';' => WATCH,
            b'0'..=b'9' => DIGIT,
            _ => PLAIN,
        };
        byte += 1;
    }
    classes
};

/// Writes `sql` with its numeric literals replaced into `out` (replacing what it held) and
/// returns true; or returns false when `sql` is not a plain data statement or holds no literal
/// to replace, and its key is its exact text. One pass over the text.
fn rewrite(sql: &str, out: &mut String) -> bool {
    out.clear();
    // A `;` before the trailing ones (and white space) starts a second statement.
    let end_of_statement = sql.trim_end().trim_end_matches(';').len();
    if !starts_as_data_statement(&sql[..end_of_statement]) {
        return false;
    }
    let bytes = sql.as_bytes();
    let mut copied = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let class = CLASSES[usize::from(byte)];
        if class == PLAIN {
            index += 1;
            continue;
        }
        let previous = index.checked_sub(1).map_or(0, |before| bytes[before]);
        match class {
            REJECT => return false,
            WATCH => {
                let comment =
                    (byte == b'-' && previous == b'-') || (byte == b'*' && previous == b'/');
                if comment || (byte == b';' && index < end_of_statement) {
                    return false;
                }
                index += 1;
            }
            _ => {
                let end = bytes[index..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(bytes.len(), |n| index + n);
                let in_word = previous.is_ascii_alphanumeric() || previous == b'_';
                // `12x1f`, `3b1`, `7e5`, `1_000`: the digits are part of a longer token (or
                // trailing junk the parser rejects), and a `0` in their place could make a
                // different one (`0x1f`).
                let glued = bytes
                    .get(end)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
                if !in_word && !glued && (end - index != 1 || byte != b'0') {
                    if copied == 0 {
                        out.reserve(sql.len());
                    }
                    // Every byte before here is ASCII (any other was rejected): a char boundary.
                    out.push_str(&sql[copied..index]);
                    out.push('0');
                    copied = end;
                }
                index = end;
            }
        }
    }
    if copied == 0 {
        return false;
    }
    out.push_str(&sql[copied..]);
    true
}

/// Whether `statement` starts with the keyword of a plain data statement.
fn starts_as_data_statement(statement: &str) -> bool {
    // ASCII white space only: a statement led by other white space (a vertical tab, or
    // anything non-ASCII) keeps its exact text as its key.
    let text = statement.as_bytes().trim_ascii_start();
    let word = text
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .map_or(text, |end| &text[..end]);
    DATA_STATEMENTS
        .iter()
        .any(|keyword| word.eq_ignore_ascii_case(keyword.as_bytes()))
}

#[cfg(test)]
#[path = "cache_key_tests.rs"]
mod tests;
