//! Boundaries shared by the numeric detectors (card, SSN, phone, IPv4).

use crate::text::Text;

/// Whether a number starting at `s` stands on its own on the left.
///
/// Rejected: a letter, digit or `_` just before; `-`, `.` or `/` just before with a letter or
/// digit before that (`ORD-2024-…`, `v1.2`, `2024/…`); the number's own separator just before
/// with a digit before that (a longer group sequence).
pub(crate) fn left_ok(text: &Text<'_>, s: usize, sep: Option<u8>) -> bool {
    let Some(p1) = text.before(s) else {
        return true;
    };
    if crate::text::is_word(p1) {
        return false;
    }
    let p2 = text.before(s - 1);
    if matches!(p1, b'-' | b'.' | b'/') && p2.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    !(Some(p1) == sep && p2.is_some_and(|c| c.is_ascii_digit()))
}

/// Whether a number ending at `e` stands on its own on the right (the mirror of [`left_ok`]).
pub(crate) fn right_ok(text: &Text<'_>, e: usize, sep: Option<u8>) -> bool {
    let Some(n1) = text.at(e) else {
        return true;
    };
    if crate::text::is_word(n1) {
        return false;
    }
    let n2 = text.at(e + 1);
    if matches!(n1, b'-' | b'.' | b'/') && n2.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    !(Some(n1) == sep && n2.is_some_and(|c| c.is_ascii_digit()))
}

/// Digit groups joined by one repeated separator, starting at a digit.
pub(crate) struct Groups {
    /// Lengths of the groups, in order.
    pub(crate) lens: [u8; 8],
    /// How many groups.
    pub(crate) count: usize,
    /// The separator (`None` for a single group).
    pub(crate) sep: Option<u8>,
    /// Where the last group ends.
    pub(crate) end: usize,
    /// Total digits.
    pub(crate) digits: usize,
}

/// Reads digit groups at `s` joined by one separator from `seps`; `None` if there are more than
/// eight groups or more than `max_digits` digits (a longer number than any entity).
pub(crate) fn groups(text: &Text<'_>, s: usize, seps: &[u8], max_digits: usize) -> Option<Groups> {
    let mut g = Groups {
        lens: [0; 8],
        count: 0,
        sep: None,
        end: s,
        digits: 0,
    };
    let mut pos = s;
    loop {
        let end = text.digits_end(pos);
        let len = end - pos;
        if g.count == g.lens.len() || g.digits + len > max_digits {
            return None;
        }
        g.lens[g.count] = u8::try_from(len).ok()?;
        g.count += 1;
        g.digits += len;
        g.end = end;
        let Some(next) = text.at(end) else { break };
        let continues = match g.sep {
            Some(sep) => next == sep,
            None => seps.contains(&next),
        };
        if !continues || !text.digit_at(end + 1) {
            break;
        }
        g.sep = Some(next);
        pos = end + 1;
    }
    Some(g)
}

/// Copies the digits of `text[s..e]` into `out`, returning how many.
pub(crate) fn collect_digits(text: &Text<'_>, s: usize, e: usize, out: &mut [u8]) -> usize {
    let mut n = 0;
    for &c in &text.b[s..e] {
        if c.is_ascii_digit() && n < out.len() {
            out[n] = c - b'0';
            n += 1;
        }
    }
    n
}

/// The value of up to four leading digits.
pub(crate) fn prefix_value(digits: &[u8], len: usize) -> u32 {
    digits
        .iter()
        .take(len)
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d))
}
