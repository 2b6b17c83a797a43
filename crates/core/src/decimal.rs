//! Decimal digits written straight into a buffer, for the numbers audit events and recordings
//! carry (counts, durations, timestamps) without formatting machinery or a string per number.

/// Appends `value` in decimal.
pub fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut text = [0u8; 20];
    let mut at = text.len();
    loop {
        at -= 1;
        text[at] = digit(value);
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&text[at..]);
}

/// Appends the `width` (at most 20) lowest decimal digits of `value`, zeros in front.
pub fn write_padded(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let mut text = [b'0'; 20];
    let width = width.min(text.len());
    for slot in text[..width].iter_mut().rev() {
        *slot = digit(value);
        value /= 10;
    }
    out.extend_from_slice(&text[..width]);
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

/// The lowest decimal digit of `value`, as ASCII.
#[allow(clippy::cast_possible_truncation)] // below 10
fn digit(value: u64) -> u8 {
    b'0' + (value % 10) as u8
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
}
