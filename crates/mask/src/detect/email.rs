//! Email addresses, anchored on `@`.

use super::Span;
use crate::text::Text;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// [`CLASS`] bit of a byte an ASCII local part may hold: letters, digits and `._%+-`.
const LOCAL: u8 = 1;
/// [`CLASS`] bit of a byte a domain may hold: letters, digits, `.` and `-`.
const DOMAIN: u8 = 2;

/// The [`LOCAL`] and [`DOMAIN`] bits of every byte: one load per byte instead of a chain of
/// comparisons.
static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') {
            table[i] |= LOCAL;
        }
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-') {
            table[i] |= DOMAIN;
        }
        i += 1;
    }
    table
}

fn local_byte(c: u8) -> bool {
    CLASS[usize::from(c)] & LOCAL != 0
}

/// A two-byte UTF-8 letter from Latin-1 Supplement and Latin Extended (`ü`, `é`, `ł`): these
/// appear in names, while CJK and other scripts are left out so that an address written right
/// after such text (no space) does not swallow it.
fn latin_letter(lead: u8, cont: u8) -> bool {
    (0xC3..=0xC9).contains(&lead) && (0x80..=0xBF).contains(&cont)
}

fn domain_byte(c: u8) -> bool {
    CLASS[usize::from(c)] & DOMAIN != 0
}

/// The email address around the `@` at `at`.
///
/// Local part: the run of ASCII letters, digits, `._%+-` and accented Latin letters before the `@`, cut after the last `..`
/// (which a local part cannot contain), at most 64 bytes, leading dots dropped, not ending in a
/// dot. Domain: the run of letters, digits, `.`
/// and `-` after it, trailing dots dropped (sentence punctuation), at most 253 bytes, at least
/// two labels of 1–63 bytes that neither start nor end with `-`, and a top-level label of two or
/// more letters (or an `xn--` IDN label).
pub(crate) fn at(text: &Text<'_>, at: usize) -> Option<Span> {
    let b = text.b;
    let mut start = at;
    while start > 0 {
        let c = b[start - 1];
        if c == b'.' && start >= 2 && b[start - 2] == b'.' {
            break;
        }
        if local_byte(c) {
            start -= 1;
        } else if start >= 2 && latin_letter(b[start - 2], c) {
            start -= 2;
        } else {
            break;
        }
        if at - start > MAX_LOCAL {
            return None;
        }
    }
    while start < at && b[start] == b'.' {
        start += 1;
    }
    let local = &b[start..at];
    if local.is_empty() || local.ends_with(b".") {
        return None;
    }
    let mut end = at + 1;
    while end < b.len() && domain_byte(b[end]) {
        end += 1;
        if end - at - 1 > MAX_DOMAIN + 1 {
            return None;
        }
    }
    while end > at + 1 && b[end - 1] == b'.' {
        end -= 1;
    }
    let domain = &b[at + 1..end];
    (domain.len() <= MAX_DOMAIN && domain_ok(domain)).then_some(start..end)
}

fn domain_ok(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&c| c == b'.') {
        let ok =
            (1..=63).contains(&label.len()) && !label.starts_with(b"-") && !label.ends_with(b"-");
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    let tld_ok = (last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic))
        || (last.len() > 4 && last.starts_with(b"xn--"));
    labels >= 2 && tld_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_table_holds_exactly_the_allowed_bytes() {
        for c in 0..=u8::MAX {
            let alnum = c.is_ascii_alphanumeric();
            assert_eq!(
                local_byte(c),
                alnum || b"._%+-".contains(&c),
                "local part byte {c:#04x}"
            );
            assert_eq!(
                domain_byte(c),
                alnum || b".-".contains(&c),
                "domain byte {c:#04x}"
            );
        }
    }
}
