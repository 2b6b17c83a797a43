//! Phone numbers: E.164 with `+`, North American formats, and national trunk-`0` formats;
//! the other national formats are in [`super::phone_national`].

use super::Span;
use super::numeric::{groups, left_ok, right_ok};
use super::phone_national::{area_in_parentheses, mixed};
use crate::text::Text;

/// A phone number around the digit run at `s`.
///
/// - E.164: `+` right before `s`, then 8–15 digits (not starting with 0) in groups joined by a
///   single space, `-` or `.`, with at most one parenthesised group (`+44 (0) 20 …`).
/// - North America: `AAA-EEE-SSSS`, `AAA.EEE.SSSS`, `AAA EEE SSSS` (one repeated separator),
///   an optional leading `1` with the same separator, or `(AAA) EEE-SSSS` / `(AAA)EEE-SSSS`;
///   area and exchange start with 2–9.
/// - National trunk `0` (UK, France, …): `0` then a non-zero digit, 10–11 digits in two or three
///   groups of at least three, the first at most five (`020 7946 0958`, `07700 900123`) or
///   five pairs (`01 23 45 67 89`), joined by one repeated space or `-`;
///   also with the area code in parentheses (`(0117) 496 0200`, `(03) 6171 3667`), and any of
///   these inside parentheses (`(020 7946 0958)`).
/// - The national forms of [`super::phone_national`]: Brazilian area codes in parentheses,
///   numbers without a trunk `0`, mixed separators.
///
/// All forms must stand alone: no letter or digit group continues them on either side, which
/// rules out dates, times, versions, order numbers and UUID fragments.
pub(crate) fn at(text: &Text<'_>, s: usize) -> Option<Span> {
    match text.before(s) {
        Some(b'+') => e164(text, s),
        Some(b'(') => parenthesised(text, s)
            .or_else(|| area_in_parentheses(text, s))
            .or_else(|| north_american(text, s))
            .or_else(|| trunk_zero(text, s))
            .or_else(|| mixed(text, s)),
        _ => north_american(text, s)
            .or_else(|| trunk_zero(text, s))
            .or_else(|| mixed(text, s)),
    }
}

fn e164(text: &Text<'_>, s: usize) -> Option<Span> {
    let start = s - 1;
    if !left_ok(text, start, None) || text.b[s] == b'0' {
        return None;
    }
    let digit = |i: usize| text.digit_at(i);
    let (mut pos, mut total, mut open) = (s, 0, false);
    loop {
        let end = text.digits_end(pos);
        total += end - pos;
        if total > 15 {
            return None;
        }
        pos = end;
        let skip = match (text.at(pos), text.at(pos + 1)) {
            (Some(b' ' | b'-' | b'.'), _) if digit(pos + 1) => 1,
            (Some(b' '), Some(b'(')) if !open && digit(pos + 2) => {
                open = true;
                2
            }
            (Some(b'('), _) if !open && digit(pos + 1) => {
                open = true;
                1
            }
            (Some(b')'), _) if open && digit(pos + 1) => {
                open = false;
                1
            }
            (Some(b')'), Some(b' ' | b'-' | b'.')) if open && digit(pos + 2) => {
                open = false;
                2
            }
            _ => break,
        };
        pos += skip;
    }
    let ok = !open && (8..=15).contains(&total) && right_ok(text, pos, None);
    ok.then_some(start..pos)
}

fn north_american(text: &Text<'_>, s: usize) -> Option<Span> {
    let first = text.digits_end(s) - s;
    if first != 3 && !(first == 1 && text.b[s] == b'1') {
        return None;
    }
    let g = groups(text, s, b"-. ", 11)?;
    let lens = &g.lens[..g.count];
    let area = if lens == [3, 3, 4] {
        s
    } else if lens == [1, 3, 3, 4] && text.b[s] == b'1' {
        s + 2
    } else {
        return None;
    };
    let ok = nanp_lead(text, area)
        && nanp_lead(text, area + 4)
        && left_ok(text, s, g.sep)
        && right_ok(text, g.end, g.sep);
    ok.then_some(s..g.end)
}

fn parenthesised(text: &Text<'_>, s: usize) -> Option<Span> {
    let start = s - 1;
    if text.digits_end(s) != s + 3 || text.at(s + 3) != Some(b')') || !nanp_lead(text, s) {
        return None;
    }
    let mut p = s + 4;
    if text.at(p) == Some(b' ') {
        p += 1;
    }
    if !text.digit_at(p) || !nanp_lead(text, p) {
        return None;
    }
    let g = groups(text, p, b"-. ", 7)?;
    let ok =
        g.lens[..g.count] == [3, 4] && left_ok(text, start, None) && right_ok(text, g.end, g.sep);
    ok.then_some(start..g.end)
}

fn trunk_zero(text: &Text<'_>, s: usize) -> Option<Span> {
    if text.b[s] != b'0' || !text.at(s + 1).is_some_and(|c| (b'1'..=b'9').contains(&c)) {
        return None;
    }
    let g = groups(text, s, b" -", 11)?;
    let ok = trunk_groups(&g.lens[..g.count], g.digits)
        && left_ok(text, s, g.sep)
        && right_ok(text, g.end, g.sep);
    ok.then_some(s..g.end)
}

/// Group lengths of a trunk-`0` number: 10–11 digits in two or three groups of at least three,
/// the first at most five, or in five pairs.
pub(super) fn trunk_groups(lens: &[u8], digits: usize) -> bool {
    let spaced = (2..=3).contains(&lens.len()) && lens.iter().all(|&l| l >= 3) && lens[0] <= 5;
    let pairs = lens.len() == 5 && lens.iter().all(|&l| l == 2);
    (10..=11).contains(&digits) && (spaced || pairs)
}

/// North American area codes and exchanges start with 2–9.
fn nanp_lead(text: &Text<'_>, i: usize) -> bool {
    text.at(i).is_some_and(|c| (b'2'..=b'9').contains(&c))
}
