//! JSON Web Tokens (JWS compact form).

use super::Span;
use crate::text::{Text, is_b64url};

/// The longest JWT looked for.
pub(crate) const MAX_JWT: usize = 8192;
/// The longest header segment decoded.
const MAX_HEADER: usize = 1024;

/// What the detector decided about the `eyJ` at a position.
pub(crate) enum Jwt {
    /// A JWT at this span.
    Found(Span),
    /// Not a JWT.
    No,
    /// The token reaches the end of an open text; more bytes are needed.
    Undecided,
}

/// The JWT starting at the `eyJ` at `s`.
///
/// Three base64url segments joined by `.`: the header starts with `eyJ` (`{"`) and decodes to
/// a JSON object with an `"alg"` member, the payload is non-empty, the signature may be empty
/// (`alg: none`). The whole token is at most 8 KiB, not glued to base64, `.`, `+` or `/` on the
/// left (`token=eyJ…` is a key and its value, so `=` is fine there), and not followed by `=`,
/// `+`, `/` or by a `.` that more base64url follows (so a five-segment JWE is not taken, while
/// a full stop ending a sentence is).
pub(crate) fn at(text: &Text<'_>, s: usize) -> Jwt {
    let b = text.b;
    if text
        .before(s)
        .is_some_and(|c| is_b64url(c) || matches!(c, b'.' | b'+' | b'/'))
    {
        return Jwt::No;
    }
    let mut ends = [0usize; 3];
    let mut pos = s;
    for (i, end) in ends.iter_mut().enumerate() {
        pos = text.run_end(pos, is_b64url);
        if pos - s > MAX_JWT {
            return Jwt::No;
        }
        *end = pos;
        if pos == b.len() && text.open_end {
            return Jwt::Undecided;
        }
        if i < 2 {
            if text.at(pos) != Some(b'.') || (i == 0 && !header_ok(&b[s..pos])) {
                return Jwt::No;
            }
            pos += 1;
        }
    }
    let [header_end, payload_end, _] = ends;
    let glued = match text.at(pos) {
        Some(b'.') => {
            if pos + 1 == b.len() && text.open_end {
                return Jwt::Undecided;
            }
            text.at(pos + 1).is_some_and(is_b64url)
        }
        Some(c) => matches!(c, b'=' | b'+' | b'/'),
        None => false,
    };
    if glued || payload_end - header_end < 3 {
        return Jwt::No;
    }
    Jwt::Found(s..pos)
}

/// Whether a base64url header decodes to a JSON object naming `"alg"`.
fn header_ok(segment: &[u8]) -> bool {
    if segment.len() > MAX_HEADER || segment.len() % 4 == 1 {
        return false;
    }
    let mut out = [0u8; MAX_HEADER * 3 / 4];
    let mut n = 0;
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in segment {
        let Some(v) = b64url_value(c) else {
            return false;
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out[n] = (acc >> bits) as u8;
            n += 1;
        }
    }
    let json = out[..n].trim_ascii();
    json.starts_with(b"{") && json.windows(5).any(|w| w == b"\"alg\"")
}

fn b64url_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}
