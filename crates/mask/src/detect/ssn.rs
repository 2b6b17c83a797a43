//! US social security numbers, written `AAA-GG-SSSS` or `AAA GG SSSS`.

use super::Span;
use super::numeric::{groups, left_ok, right_ok};
use crate::text::Text;

/// An SSN starting at the digit run at `s`: groups 3-2-4 with one repeated `-` or space, not
/// part of a longer sequence, and valid by SSA rules (area not 000, 666 or 900–999; group not
/// 00; serial not 0000).
pub(crate) fn at(text: &Text<'_>, s: usize) -> Option<Span> {
    let g = groups(text, s, b"- ", 9)?;
    if g.lens[..g.count] != [3, 2, 4] || !left_ok(text, s, g.sep) || !right_ok(text, g.end, g.sep) {
        return None;
    }
    let b = text.b;
    let num = |from: usize, len: usize| {
        b[from..from + len]
            .iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    let area = num(s, 3);
    let group = num(s + 4, 2);
    let serial = num(s + 7, 4);
    let valid = area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
    valid.then_some(s..g.end)
}
