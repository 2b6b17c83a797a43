//! Byte searches for short texts (JSON strings, masked values): a word at a time over the
//! first few words, where most of them end, before a vector search, whose set-up costs more
//! than a short text.

/// Bytes with every lane 0x01.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// Bytes with every lane 0x80.
pub(crate) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Words searched one at a time before the rest goes to `memchr2`.
const WORDS_BEFORE_SEARCH: usize = 4;

/// The position of the first `x` or `y` in `b` at or after `from`.
#[inline]
pub fn find_either(b: &[u8], from: usize, x: u8, y: u8) -> Option<usize> {
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
        // Each mask's lowest flag is exact and any flag above it lies above a real hit, so
        // the lowest flag of the two together is the first hit.
        let flags = lowest_zero_lane(w ^ (ONES * u64::from(x)))
            | lowest_zero_lane(w ^ (ONES * u64::from(y)));
        if flags != 0 {
            return Some(from + i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(x, y, &rest[i..]).map(|p| from + i + p)
}

/// The high bit of the lowest zero lane of `word`, and perhaps of some lanes above it: a lane
/// borrows from the next only when it is zero, so the lowest flag is exact.
fn lowest_zero_lane(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

#[cfg(test)]
mod tests {
    use super::find_either;

    #[test]
    fn find_either_agrees_with_a_plain_search() {
        // The needles mixed with the bytes a lane test confuses with them (one above, one
        // below, zero, high bytes), in every length across the words and the vector search.
        const BYTES: &[u8] = b"@:\"\\?A#];\x00\x01\x80\xffx";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 45) as usize;
            let b: Vec<u8> = (0..len)
                .map(|k| BYTES[((state >> (k % 61)) % BYTES.len() as u64) as usize])
                .collect();
            let from = (state >> 40) as usize % (len + 2);
            for (x, y) in [(b'@', b':'), (b'@', b'@'), (b'"', b'\\')] {
                let want = b
                    .get(from..)
                    .and_then(|r| r.iter().position(|&c| c == x || c == y))
                    .map(|p| p + from);
                assert_eq!(find_either(&b, from, x, y), want, "{b:?} from {from}");
            }
        }
    }
}
