//! IPv4 and IPv6 addresses, validated with `std::net`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::Span;
use super::numeric::{left_ok, right_ok};
use crate::text::Text;

/// The longest textual IPv6 address (`ffff:…:255.255.255.255`).
const MAX_V6: usize = 45;

/// An IPv4 address starting at the digit run at `s`: four dotted octets that `std::net`
/// accepts (0–255, no leading zeros), not part of a longer dotted number (`1.2.3.4.5`), not
/// glued to a letter (`v1.2.3.4`) and not shortly after the word `version` on the same line.
pub(crate) fn v4(text: &Text<'_>, s: usize) -> Option<Span> {
    let mut pos = s;
    for octet in 0..4 {
        let end = text.digits_end(pos);
        if end == pos || end - pos > 3 {
            return None;
        }
        pos = end;
        if octet < 3 {
            if text.at(pos) != Some(b'.') {
                return None;
            }
            pos += 1;
        }
    }
    if !left_ok(text, s, Some(b'.')) || !right_ok(text, pos, Some(b'.')) || after_version(text, s) {
        return None;
    }
    let literal = std::str::from_utf8(&text.b[s..pos]).ok()?;
    Ipv4Addr::from_str(literal).is_ok().then_some(s..pos)
}

/// How far back on the same line `version` makes a dotted quad a version number.
const VERSION_WINDOW: usize = 24;

/// Whether `version` (any case) appears in the 24 bytes before `s` on the same line
/// (`Standards-Version: 3.7.2.0`, `AssemblyVersion("1.0.0.0")`).
fn after_version(text: &Text<'_>, s: usize) -> bool {
    let from = s.saturating_sub(VERSION_WINDOW);
    let before = &text.b[from..s];
    let line = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(before, |i| &before[i + 1..]);
    line.windows(7).any(|w| w.eq_ignore_ascii_case(b"version"))
}

/// Whether `c` can appear in an IPv6 address (hex digits, `:`, and `.` for an embedded IPv4).
fn v6_byte(c: u8) -> bool {
    c.is_ascii_hexdigit() || c == b':' || c == b'.'
}

/// An IPv6 address in the token around the `:` at `colon`, and where the token ends (the scan
/// resumes there).
///
/// The token is the maximal run of hex digits, `:` and `.` (a trailing `.` is sentence
/// punctuation and dropped). It is an address when it is at most 45 bytes, has at least two
/// colons and one decimal digit, does not mix upper- and lowercase hex letters (so words like
/// `Bad::Add` stay), is not glued to a letter, digit or `_`, and `std::net` parses it.
pub(crate) fn v6(text: &Text<'_>, colon: usize) -> (Option<Span>, usize) {
    let b = text.b;
    let near = |i: Option<usize>| i.and_then(|i| b.get(i)).is_some_and(|&c| v6_byte(c));
    if !near(colon.checked_sub(1)) && !near(Some(colon + 1)) {
        return (None, colon + 1);
    }
    let mut a = colon;
    while a > 0 && v6_byte(b[a - 1]) && colon - a <= MAX_V6 {
        a -= 1;
    }
    let mut z = text.run_end(colon + 1, v6_byte);
    let resume = z;
    while z > colon + 1 && b[z - 1] == b'.' {
        z -= 1;
    }
    if z - a < 3 {
        return (None, resume);
    }
    let fits = z - a <= MAX_V6 && !(a > 0 && v6_byte(b[a - 1]));
    let glued = text.before(a).is_some_and(crate::text::is_word)
        || text.at(z).is_some_and(crate::text::is_word);
    if !fits || glued || !text.start_ok(a) {
        return (None, resume);
    }
    let token = &b[a..z];
    let colons = token.iter().filter(|&&c| c == b':').count();
    let has_digit = token.iter().any(u8::is_ascii_digit);
    let mixed_case =
        token.iter().any(u8::is_ascii_lowercase) && token.iter().any(u8::is_ascii_uppercase);
    if colons < 2 || !has_digit || mixed_case {
        return (None, resume);
    }
    let parsed = std::str::from_utf8(token)
        .ok()
        .and_then(|t| Ipv6Addr::from_str(t).ok());
    (parsed.map(|_| a..z), resume)
}
