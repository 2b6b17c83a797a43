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

/// Words searched one at a time before [`find_either`] hands the rest to a vector search.
const WORDS_BEFORE_SEARCH: usize = 4;

/// The position of the first `x` or `y` at or after `from`.
///
/// Most values are short: their first few words are searched one at a time, which costs
/// less than the set-up of a vector search; a longer text's rest goes to `memchr2`.
pub(crate) fn find_either(b: &[u8], from: usize, x: u8, y: u8) -> Option<usize> {
    let rest = b.get(from..)?;
    let mut i = 0;
    for _ in 0..WORDS_BEFORE_SEARCH {
        let Some(word) = rest.get(i..).and_then(<[u8]>::first_chunk::<8>) else {
            // Under a word left: byte by byte.
            return rest[i..]
                .iter()
                .position(|&c| c == x || c == y)
                .map(|p| from + i + p);
        };
        let w = u64::from_le_bytes(*word);
        let flags =
            lowest_zero_lane(w ^ (LOW * u64::from(x))) | lowest_zero_lane(w ^ (LOW * u64::from(y)));
        if flags != 0 {
            return Some(from + i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(x, y, &rest[i..]).map(|p| from + i + p)
}

/// The high bit of the lowest zero lane of `word` (and perhaps of lanes above it): borrows
/// only run upwards, so the lowest flag is exact.
fn lowest_zero_lane(word: u64) -> u64 {
    word.wrapping_sub(LOW) & !word & HIGH
}

#[cfg(test)]
mod tests {
    use super::{find_digit, find_either};

    #[test]
    fn find_either_agrees_with_a_plain_search() {
        // Each needle, the bytes just above and below it and high bytes, in every length
        // across the word-at-a-time part and the vector search.
        const BYTES: &[u8] = b"@:?A9;\x00\x80\xffx";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 45) as usize;
            let b: Vec<u8> = (0..len)
                .map(|k| BYTES[((state >> (k % 61)) % BYTES.len() as u64) as usize])
                .collect();
            let from = (state >> 40) as usize % (len + 2);
            for (x, y) in [(b'@', b':'), (b'@', b'@'), (b':', b':')] {
                let want = b
                    .get(from..)
                    .and_then(|r| r.iter().position(|&c| c == x || c == y))
                    .map(|p| p + from);
                assert_eq!(find_either(&b, from, x, y), want, "{b:?} from {from}");
            }
        }
    }

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
