//! The byte view every detector scans, and the byte classes they share.

/// A text to scan, with whether its edges are the real edges of the data.
///
/// A [`crate::StreamMasker`] scans windows of a longer stream: `open_start` says the bytes
/// before position 0 exist but are not shown, so a token touching position 0 may be the tail
/// of a longer token and is never reported; `open_end` says more bytes may follow, so a long
/// entity (a JWT, a PEM block) that reaches the end is reported as undecided instead.
#[derive(Clone, Copy)]
pub(crate) struct Text<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) open_start: bool,
    pub(crate) open_end: bool,
}

impl<'a> Text<'a> {
    /// A complete text: both edges are real.
    pub(crate) fn whole(b: &'a [u8]) -> Self {
        Text {
            b,
            open_start: false,
            open_end: false,
        }
    }

    /// The byte at `i`, if any.
    pub(crate) fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// The byte before `i`; `None` at the start of the text.
    pub(crate) fn before(&self, i: usize) -> Option<u8> {
        i.checked_sub(1).and_then(|j| self.at(j))
    }

    /// Whether a candidate may start at `start` (not a token cut by a window's open start).
    pub(crate) fn start_ok(&self, start: usize) -> bool {
        !(self.open_start && start == 0)
    }

    /// The end of the run of bytes satisfying `class` starting at `i`.
    pub(crate) fn run_end(&self, i: usize, class: impl Fn(u8) -> bool) -> usize {
        let mut j = i;
        while j < self.b.len() && class(self.b[j]) {
            j += 1;
        }
        j
    }

    /// The end of the run of ASCII digits starting at `i`.
    pub(crate) fn digits_end(&self, i: usize) -> usize {
        self.run_end(i, |c| c.is_ascii_digit())
    }

    /// Whether the byte at `i` is an ASCII digit.
    pub(crate) fn digit_at(&self, i: usize) -> bool {
        self.at(i).is_some_and(|c| c.is_ascii_digit())
    }
}

/// Letters, digits and `_`: bytes that continue a word.
pub(crate) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The base64url alphabet (JWT segments, most API tokens).
pub(crate) fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The position of the first ASCII digit at or after `from`.
///
/// Eight bytes at a time: XOR with `'0'` maps digits to 0..=9, then the "has a byte less than
/// 10" bit trick flags them without a branch per byte.
pub(crate) fn find_digit(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(word) ^ (LOW * u64::from(b'0'));
        let flags = x.wrapping_sub(LOW * 10) & !x & HIGH;
        if flags != 0 {
            // Borrows only run upwards, so the lowest flag is exact.
            return Some(i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::find_digit;

    #[test]
    fn find_digit_agrees_with_a_plain_search() {
        let samples: [&[u8]; 6] = [
            b"",
            b"no digits at all in this sentence, none",
            b"abcdefgh9",
            b"abcdefghijklmnop0qrs",
            b"\xff\xfe\x80\x39abcdefgh",
            b"::::::::////////99",
        ];
        for s in samples {
            for from in 0..=s.len() {
                let want = s[from..]
                    .iter()
                    .position(u8::is_ascii_digit)
                    .map(|p| p + from);
                assert_eq!(find_digit(s, from), want, "{s:?} from {from}");
            }
        }
    }
}
