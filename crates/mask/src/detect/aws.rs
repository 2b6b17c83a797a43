//! AWS access key ids and labelled AWS secret access keys.

use super::Span;
use crate::text::{Text, is_word};

/// Access key id prefixes (users, temporary credentials, groups, roles, policies, …).
pub(crate) const ID_PREFIXES: [&str; 8] = [
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
];

/// Labels after which a 40-character secret access key is looked for.
pub(crate) const SECRET_LABELS: [&str; 10] = [
    "aws_secret",
    "AWS_SECRET",
    "aws-secret",
    "AWS-SECRET",
    "awsSecret",
    "AwsSecret",
    "secret_access_key",
    "SECRET_ACCESS_KEY",
    "secretAccessKey",
    "SecretAccessKey",
];

/// An access key id at the prefix at `s`: the prefix and 16 uppercase letters or digits, not
/// glued to a letter or digit on either side.
pub(crate) fn id(text: &Text<'_>, s: usize) -> Option<Span> {
    let end = s + 20;
    let body = text.b.get(s + 4..end)?;
    let ok = body
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !text.before(s).is_some_and(|c| c.is_ascii_alphanumeric())
        && !text.at(end).is_some_and(|c| c.is_ascii_alphanumeric());
    ok.then_some(s..end)
}

fn secret_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'/' || c == b'+'
}

/// A secret access key after the label ending at `label_end`.
///
/// The rest of the key name (up to 32 more letters, digits, `_` or `-`: `aws_secret_access_key`),
/// then 1–8 bytes of quotes, spaces, tabs, `:`, `=` or `>` (JSON, YAML, env files, XML), then
/// exactly 40 bytes of `A–Z a–z 0–9 / +` not followed by another such byte or `=`, using at least
/// two of uppercase, lowercase and digits.
pub(crate) fn secret(text: &Text<'_>, label_end: usize) -> Option<Span> {
    let b = text.b;
    let name_end = text.run_end(label_end, |c| is_word(c) || c == b'-');
    if name_end - label_end > 32 {
        return None;
    }
    let value = text.run_end(name_end, |c| {
        matches!(c, b'"' | b'\'' | b' ' | b'\t' | b':' | b'=' | b'>')
    });
    if value == name_end || value - name_end > 8 {
        return None;
    }
    let end = text.run_end(value, secret_byte);
    if end - value != 40 || text.at(end) == Some(b'=') {
        return None;
    }
    classes(&b[value..end]).then_some(value..end)
}

/// Whether `s` uses at least two of uppercase letters, lowercase letters and digits (random
/// keys do; words and identifiers mostly do not).
pub(crate) fn classes(s: &[u8]) -> bool {
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    u8::from(upper) + u8::from(lower) + u8::from(digit) >= 2
}
