//! Decimal digits written straight into a buffer, for the numbers audit events and recordings
//! carry (counts, durations, timestamps) without formatting machinery or a string per number.

/// `"00"` to `"99"`, back to back: two digits per division by 100 instead of one per division
/// by 10.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `value` in decimal.
pub fn write_u64(out: &mut Vec<u8>, value: u64) {
    let mut text = [0u8; 20];
    let at = fill(&mut text, value);
    out.extend_from_slice(&text[at..]);
}

/// Appends the `width` (at most 20) lowest decimal digits of `value`, zeros in front.
pub fn write_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut text = [b'0'; 20];
    fill(&mut text, value);
    out.extend_from_slice(&text[text.len() - width.min(text.len())..]);
}

/// Writes the digits of `value` at the end of `text` and returns where they start.
#[allow(clippy::cast_possible_truncation)] // below 100
fn fill(text: &mut [u8; 20], mut value: u64) -> usize {
    let mut at = text.len();
    while value >= 100 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        at -= 2;
        text[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        at -= 2;
        text[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        text[at] = b'0' + value as u8;
    }
    at
}

/// Appends `fraction`, a number of `width` decimal places, after a `.`, without its trailing
/// zeros; nothing if it is zero.
pub fn write_fraction(out: &mut Vec<u8>, mut fraction: u64, mut width: usize) {
    if fraction == 0 {
        return;
    }
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    out.push(b'.');
    write_padded(out, fraction, width);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn digits_as_format_writes_them() {
        for value in [0, 7, 10, 12_345, u64::MAX] {
            assert_eq!(text(|o| write_u64(o, value)), value.to_string());
            assert_eq!(text(|o| write_padded(o, value, 20)), format!("{value:020}"));
        }
        assert_eq!(text(|o| write_padded(o, 2026, 4)), "2026");
        assert_eq!(text(|o| write_padded(o, 7, 2)), "07");
        assert_eq!(text(|o| write_fraction(o, 348_197, 6)), ".348197");
        assert_eq!(text(|o| write_fraction(o, 500_000, 6)), ".5");
        assert_eq!(text(|o| write_fraction(o, 1, 9)), ".000000001");
        assert_eq!(text(|o| write_fraction(o, 0, 6)), "");
    }

    proptest::proptest! {
        #[test]
        fn every_value_and_width_as_format_writes_it(value: u64, width in 0usize..=20) {
            proptest::prop_assert_eq!(text(|o| write_u64(o, value)), value.to_string());
            let padded = format!("{value:020}");
            proptest::prop_assert_eq!(text(|o| write_padded(o, value, width)), &padded[20 - width..]);
        }
    }

    #[test]
    fn every_digit_pair_and_power_of_ten_is_written() {
        for value in (0..=1000)
            .chain((0..20).map(|p| 10u64.pow(p)))
            .chain((1..20).map(|p| 10u64.pow(p) - 1))
        {
            assert_eq!(text(|o| write_u64(o, value)), value.to_string());
        }
    }
}
