//! National phone formats outside North America that the single-separator forms miss: area
//! codes in parentheses, numbers without a trunk `0` (Spain, Poland, Italy, Brazil), and
//! numbers whose groups are joined by different separators (Sweden `08-715 017 63`).

use super::Span;
use super::numeric::{groups, left_ok, right_ok};
use crate::text::Text;

/// Most digit groups a national number is written in (`0 802 48 38 15`).
const MAX_GROUPS: usize = 5;
/// Most digits of a national number.
const MAX_DIGITS: usize = 11;

/// `(0AAA) NNN NNNN`, `(07)-3739-0952`: a trunk-`0` area code of 2–5 digits in parentheses,
/// then the subscriber number in one to three groups of at least three, 10–11 digits in all.
/// `(DD) NNNN-NNNN`, `(DD) 9NNNN-NNNN` (Brazil): two non-zero area digits in parentheses.
pub(crate) fn area_in_parentheses(text: &Text<'_>, s: usize) -> Option<Span> {
    let start = s - 1;
    let area_end = text.digits_end(s);
    let area = area_end - s;
    if text.at(area_end) != Some(b')') || !left_ok(text, start, None) {
        return None;
    }
    let mut p = area_end + 1;
    if matches!(text.at(p), Some(b' ' | b'-')) {
        p += 1;
    }
    if !text.digit_at(p) {
        return None;
    }
    let g = groups(text, p, b" -", MAX_DIGITS)?;
    let lens = &g.lens[..g.count];
    let ok = if trunk(text, s) {
        (2..=5).contains(&area)
            && (1..=3).contains(&g.count)
            && lens.iter().all(|&l| l >= 3)
            && (10..=11).contains(&(area + g.digits))
    } else {
        area == 2
            && nonzero_digit(text.at(s + 1))
            && g.sep == Some(b'-')
            && brazil_subscriber(text, p, lens)
    };
    (ok && right_ok(text, g.end, g.sep)).then_some(start..g.end)
}

/// Digit groups joined by single spaces, `-` or `.`, possibly different ones.
struct Run {
    lens: [u8; MAX_GROUPS],
    seps: [u8; MAX_GROUPS],
    count: usize,
    digits: usize,
    end: usize,
}

impl Run {
    fn lens(&self) -> &[u8] {
        &self.lens[..self.count]
    }

    fn seps(&self) -> &[u8] {
        &self.seps[..self.count - 1]
    }
}

/// The maximal run of digit groups at `s`; `None` if it is longer than any phone number.
fn read(text: &Text<'_>, s: usize) -> Option<Run> {
    let mut run = Run {
        lens: [0; MAX_GROUPS],
        seps: [0; MAX_GROUPS],
        count: 0,
        digits: 0,
        end: s,
    };
    let mut pos = s;
    loop {
        let end = text.digits_end(pos);
        let len = end - pos;
        if run.count == MAX_GROUPS || run.digits + len > MAX_DIGITS {
            return None;
        }
        run.lens[run.count] = u8::try_from(len).ok()?;
        run.count += 1;
        run.digits += len;
        run.end = end;
        match text.at(end) {
            Some(c @ (b' ' | b'-' | b'.')) if text.digit_at(end + 1) => {
                run.seps[run.count - 1] = c;
                pos = end + 1;
            }
            _ => break,
        }
    }
    Some(run)
}

/// A national number in one of the shapes below, standing alone: no letter, digit or group of
/// digits continues it on either side (any of ` `, `-`, `.` after a digit counts as a group
/// separator here, since the number's own separators differ).
///
/// Trunk `0` (the second digit 1–9): `02-4953-4698`, `07 4572 6954`, `07.0847.9663` (2-4-4);
/// `06 381 6332` (2-3-4); two groups of 2–6 and 5–8 digits, 9–11 in all (`0547 98102`,
/// `06 83092293`, `061601 24240`); the trunk forms of [`super::phone`] with `.` instead
/// (`0464.071.087`, `01.23.45.67.89`); `0 802 48 38 15`; and Swedish area codes joined by `-`
/// to two to four space-joined groups of 2–3 digits, 8–10 digits in all (`08-715 017 63`,
/// `0121-945 00`). Without a trunk `0`, spaces only: `923 40 79 86` (Spain, 6–9 first);
/// `600 533 235` (Polish and Italian mobiles: 3–8 first, last group not `000`);
/// `22 948 02 54` (Poland, area digits 1–9); `377 8266 2793`, `376 064 5628` (Italian mobiles,
/// 3 first); and Brazil `17 4075-2429`, `11 98765-4321`.
pub(crate) fn mixed(text: &Text<'_>, s: usize) -> Option<Span> {
    let after_group = matches!(text.before(s), Some(b' ' | b'-' | b'.'))
        && text.before(s - 1).is_some_and(|c| c.is_ascii_digit());
    if after_group || !left_ok(text, s, None) {
        return None;
    }
    // Without a trunk `0` every form starts with three digits led by 3–9 and a space, or two
    // digits and a space before a group of 3–5 (Poland, Brazil): a cheap test before reading
    // the groups.
    let lead = text.b[s];
    if lead != b'0' {
        let first = text.digits_end(s) - s;
        let next = text.digits_end(s + first + 1).saturating_sub(s + first + 1);
        let spaced = text.at(s + first) == Some(b' ');
        let three = first == 3 && lead >= b'3';
        if !(spaced && (three || (first == 2 && (3..=5).contains(&next)))) {
            return None;
        }
    }
    let run = read(text, s)?;
    let ok = run.count >= 2 && shape_ok(text, s, &run) && right_ok(text, run.end, None);
    ok.then_some(s..run.end)
}

fn shape_ok(text: &Text<'_>, s: usize, run: &Run) -> bool {
    let (lens, seps) = (run.lens(), run.seps());
    let spaced = seps.iter().all(|&c| c == b' ');
    let lead = text.b[s];
    match lead {
        b'0' if lens == [1, 3, 2, 2, 2] => spaced && nonzero_digit(text.at(s + 2)),
        b'0' => trunk(text, s) && trunk_shape(lens, seps, run.digits),
        b'3' if spaced && matches!(lens, [3, 3, 4] | [3, 4, 4]) => true,
        _ if spaced => match lens {
            [3, 2, 2, 2] => lead >= b'6',
            [3, 3, 3] => {
                (b'3'..=b'8').contains(&lead) && text.b.get(run.end - 3..run.end) != Some(b"000")
            }
            [2, 3, 2, 2] => nonzero_digit(text.at(s + 1)),
            _ => false,
        },
        _ => {
            lens[0] == 2
                && *seps == *b" -"
                && nonzero_digit(text.at(s + 1))
                && brazil_subscriber(text, s + 3, &lens[1..])
        }
    }
}

/// The trunk-`0` shapes of [`mixed`], after the leading `0` and a non-zero digit.
fn trunk_shape(lens: &[u8], seps: &[u8], digits: usize) -> bool {
    let sep = seps[0];
    if seps.iter().all(|&c| c == sep) {
        return match lens {
            [2, 4, 4] | [2, 3, 4] => true,
            &[a, b] => sep != b'.' && (2..=6).contains(&a) && (5..=8).contains(&b) && digits >= 9,
            _ => sep == b'.' && super::phone::trunk_groups(lens, digits),
        };
    }
    // Sweden: `0A-`, `0AA-` or `0AAA-`, then space-joined groups of 2–3 digits.
    let subscriber = digits - usize::from(lens[0]);
    sep == b'-'
        && seps[1..].iter().all(|&c| c == b' ')
        && (2..=4).contains(&lens[0])
        && lens[1..].iter().all(|l| (2..=3).contains(l))
        && (5..=8).contains(&subscriber)
        && (8..=10).contains(&digits)
}

/// A Brazilian subscriber number at `p`: `NNNN-NNNN` (first digit 2–9) or `9NNNN-NNNN`.
fn brazil_subscriber(text: &Text<'_>, p: usize, lens: &[u8]) -> bool {
    let lead = text.at(p).unwrap_or(b'0');
    match lens {
        [4, 4] => lead >= b'2',
        [5, 4] => lead == b'9',
        _ => false,
    }
}

/// A trunk `0` then a non-zero digit at `s`.
fn trunk(text: &Text<'_>, s: usize) -> bool {
    text.b[s] == b'0' && nonzero_digit(text.at(s + 1))
}

fn nonzero_digit(c: Option<u8>) -> bool {
    c.is_some_and(|c| (b'1'..=b'9').contains(&c))
}
