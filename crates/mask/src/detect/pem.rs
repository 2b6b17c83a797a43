//! PEM private key blocks.

use memchr::memmem;

use super::Span;
use crate::text::Text;

/// The largest block looked for (an 8192-bit RSA key is about 6.5 KiB).
pub(crate) const MAX_PEM: usize = 16 * 1024;
/// The longest label between `BEGIN ` and `-----` (`ENCRYPTED PRIVATE KEY` is 21).
const MAX_LABEL: usize = 64;

/// What the detector decided about a `-----BEGIN` at a position.
pub(crate) enum Pem {
    /// A private key block at this span.
    Found(Span),
    /// Not a private key block.
    No,
    /// The block reaches the end of an open text; more bytes are needed.
    Undecided,
}

/// Where the first `-----END ` at or after `from` is, remembered across BEGIN markers so that
/// text packed with BEGIN lines is searched once, not once per marker.
#[derive(Default)]
pub(crate) struct EndCache {
    from: usize,
    at: Option<usize>,
    valid: bool,
}

impl EndCache {
    fn first_end(&mut self, b: &[u8], from: usize) -> Option<usize> {
        let reusable = self.valid && self.from <= from && self.at.is_none_or(|at| at >= from);
        if !reusable {
            self.from = from;
            self.at = memmem::find(&b[from..], b"-----END ").map(|i| from + i);
            self.valid = true;
        }
        self.at
    }
}

/// The private key block starting at the `-----BEGIN` at `s`.
///
/// `-----BEGIN <LABEL>PRIVATE KEY-----` (label of uppercase letters, digits and spaces: `RSA `,
/// `EC `, `OPENSSH `, `ENCRYPTED `, or none), through the first `-----END ` after it when that is
/// `-----END <LABEL>PRIVATE KEY-----`, within 16 KiB. Without such an end, the block is the
/// BEGIN line and the base64 body after it (letters, digits, `+/=` and whitespace), still capped
/// at 16 KiB, so a truncated key is hidden too.
pub(crate) fn at(text: &Text<'_>, s: usize, ends: &mut EndCache) -> Pem {
    let b = text.b;
    let label_start = s + b"-----BEGIN ".len();
    if b.get(s + 10) != Some(&b' ') {
        return Pem::No;
    }
    let label_end = text.run_end(label_start, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
    });
    if label_end - label_start > MAX_LABEL {
        return Pem::No;
    }
    let Some(header_end) = closes_private_key(b, label_start, label_end) else {
        return Pem::No;
    };
    let limit = (s + MAX_PEM).min(b.len());
    let window = &b[header_end..limit];
    if let Some(i) = ends.first_end(b, header_end).filter(|&i| i < limit) {
        let end_label = i + b"-----END ".len();
        let end_label_end = text.run_end(end_label, |c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
        });
        match closes_private_key(b, end_label, end_label_end) {
            Some(end) if end <= limit => return Pem::Found(s..end),
            None if end_label_end - end_label <= MAX_LABEL
                && end_label_end + 5 > b.len()
                && text.open_end =>
            {
                return Pem::Undecided;
            }
            _ => {}
        }
    } else if limit == b.len() && b.len() < s + MAX_PEM && text.open_end {
        return Pem::Undecided;
    }
    let body_end = header_end
        + window
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || b"+/=\r\n \t".contains(&c)))
            .unwrap_or(window.len());
    if body_end == b.len() && b.len() < s + MAX_PEM && text.open_end {
        return Pem::Undecided;
    }
    let mut end = body_end;
    while end > header_end && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    Pem::Found(s..end)
}

/// If `b[label..label_end]` ends with `PRIVATE KEY` and `-----` follows, the end of that.
fn closes_private_key(b: &[u8], label: usize, label_end: usize) -> Option<usize> {
    let ok = b[label..label_end].ends_with(b"PRIVATE KEY")
        && b.get(label_end..label_end + 5) == Some(b"-----");
    ok.then_some(label_end + 5)
}
