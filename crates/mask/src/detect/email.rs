//! Email addresses, anchored on `@`.

use super::Span;
use crate::text::Text;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// [`CLASS`] bit of a byte an ASCII local part may hold: letters, digits and `._%+-`.
const LOCAL: u8 = 1;
/// [`CLASS`] bit of a byte a domain may hold: letters, digits, `.` and `-`.
const DOMAIN: u8 = 2;
/// [`CLASS`] bit of a local part byte that needs no look at its neighbours: all but `.`.
const PLAIN_LOCAL: u8 = 4;

/// The [`LOCAL`], [`DOMAIN`] and [`PLAIN_LOCAL`] bits of every byte: one load per byte
/// instead of a chain of comparisons.
static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') {
            table[i] |= LOCAL;
            if c != b'.' {
                table[i] |= PLAIN_LOCAL;
            }
        }
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-') {
            table[i] |= DOMAIN;
        }
        i += 1;
    }
    table
}

fn class(c: u8, bit: u8) -> bool {
    CLASS[usize::from(c)] & bit != 0
}

/// A two-byte UTF-8 letter from Latin-1 Supplement and Latin Extended (`ü`, `é`, `ł`): these
/// appear in names, while CJK and other scripts are left out so that an address written right
/// after such text (no space) does not swallow it.
fn latin_letter(lead: u8, cont: u8) -> bool {
    (0xC3..=0xC9).contains(&lead) && (0x80..=0xBF).contains(&cont)
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
    let start = local_start(&b[..at])?;
    let domain = domain_run(&b[at + 1..])?;
    domain_ok(domain).then_some(start..at + 1 + domain.len())
}

/// Where the local part that ends `before` starts: `None` if it is empty, ends in a dot or
/// runs longer than a local part may.
fn local_start(before: &[u8]) -> Option<usize> {
    // The run is only followed as far as one byte past the longest local part: reaching
    // that far already rules it out.
    let floor = before.len().saturating_sub(MAX_LOCAL + 1);
    let mut start = before.len();
    while start > floor {
        let c = before[start - 1];
        if class(c, PLAIN_LOCAL) {
            start -= 1;
        } else if c == b'.' {
            if start >= 2 && before[start - 2] == b'.' {
                break;
            }
            start -= 1;
        } else if start >= 2 && latin_letter(before[start - 2], c) {
            start -= 2;
        } else {
            break;
        }
    }
    if before.len() - start > MAX_LOCAL {
        return None;
    }
    while start < before.len() && before[start] == b'.' {
        start += 1;
    }
    let local = &before[start..];
    (!local.is_empty() && !local.ends_with(b".")).then_some(start)
}

/// The domain run at the start of `after` (the bytes after the `@`), trailing dots dropped;
/// `None` if it runs longer than a domain may.
fn domain_run(after: &[u8]) -> Option<&[u8]> {
    // As for the local part: one byte past the longest domain and its final dot is enough.
    let limit = after.len().min(MAX_DOMAIN + 2);
    let mut end = 0;
    while end < limit && class(after[end], DOMAIN) {
        end += 1;
    }
    if end > MAX_DOMAIN + 1 {
        return None;
    }
    while end > 0 && after[end - 1] == b'.' {
        end -= 1;
    }
    (end <= MAX_DOMAIN).then_some(&after[..end])
}

/// At least two labels of 1–63 bytes that neither start nor end with `-`, the last of two or
/// more letters or an `xn--` label.
fn domain_ok(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut from = 0;
    loop {
        let to = domain[from..]
            .iter()
            .position(|&c| c == b'.')
            .map_or(domain.len(), |n| from + n);
        let label = &domain[from..to];
        let ok =
            (1..=63).contains(&label.len()) && label[0] != b'-' && label[label.len() - 1] != b'-';
        if !ok {
            return false;
        }
        labels += 1;
        if to == domain.len() {
            let tld_ok = (label.len() >= 2 && label.iter().all(u8::is_ascii_alphabetic))
                || (label.len() > 4 && label.starts_with(b"xn--"));
            return labels >= 2 && tld_ok;
        }
        from = to + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_table_holds_exactly_the_allowed_bytes() {
        for c in 0..=u8::MAX {
            let alnum = c.is_ascii_alphanumeric();
            assert_eq!(
                class(c, LOCAL),
                alnum || b"._%+-".contains(&c),
                "local part byte {c:#04x}"
            );
            assert_eq!(
                class(c, DOMAIN),
                alnum || b".-".contains(&c),
                "domain byte {c:#04x}"
            );
            assert_eq!(
                class(c, PLAIN_LOCAL),
                class(c, LOCAL) && c != b'.',
                "plain local byte {c:#04x}"
            );
        }
    }

    /// The rules of [`at`] read one byte at a time, without the bounded loops.
    fn reference(b: &[u8], at: usize) -> Option<Span> {
        let mut start = at;
        while start > 0 {
            let c = b[start - 1];
            if c == b'.' && start >= 2 && b[start - 2] == b'.' {
                break;
            }
            if class(c, LOCAL) {
                start -= 1;
            } else if start >= 2 && latin_letter(b[start - 2], c) {
                start -= 2;
            } else {
                break;
            }
        }
        if at - start > MAX_LOCAL {
            return None;
        }
        let start = start + b[start..at].iter().take_while(|&&c| c == b'.').count();
        if start == at || b[at - 1] == b'.' {
            return None;
        }
        let run = b[at + 1..]
            .iter()
            .take_while(|&&c| class(c, DOMAIN))
            .count();
        let domain = &b[at + 1..at + 1 + run];
        let domain = &domain[..run - domain.iter().rev().take_while(|&&c| c == b'.').count()];
        if run > MAX_DOMAIN + 1 || domain.len() > MAX_DOMAIN {
            return None;
        }
        let labels: Vec<&[u8]> = domain.split(|&c| c == b'.').collect();
        let labels_ok = labels
            .iter()
            .all(|l| (1..=63).contains(&l.len()) && !l.starts_with(b"-") && !l.ends_with(b"-"));
        let last = labels[labels.len() - 1];
        let tld_ok = (last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic))
            || (last.len() > 4 && last.starts_with(b"xn--"));
        (labels_ok && labels.len() >= 2 && tld_ok).then_some(start..at + 1 + domain.len())
    }

    proptest::proptest! {
        /// Texts of address bytes, dots, dashes, accented letters and runs long enough to
        /// reach both length limits: the bounded loops find what the plain rules find.
        #[test]
        fn the_bounded_loops_find_what_the_rules_find(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z0-9._%+-]{0,12}").unwrap(),
                    proptest::string::string_regex("[a-z]{60,70}").unwrap(),
                    proptest::string::string_regex("(xn--)?[a-z-]{1,6}\\.[a-z]{1,3}").unwrap(),
                    proptest::string::string_regex("[éü日 ,\"]").unwrap(),
                    proptest::string::string_regex("\\.{1,3}|-|@").unwrap(),
                ],
                1..24,
            )
        ) {
            let text = parts.concat();
            let b = text.as_bytes();
            for i in (0..b.len()).filter(|&i| b[i] == b'@') {
                proptest::prop_assert_eq!(at(&Text::whole(b), i), reference(b, i), "{:?} at {}", text, i);
            }
        }
    }
}
