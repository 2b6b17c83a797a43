//! International bank account numbers.

use super::Span;
use crate::text::Text;

/// IBAN lengths by country, for the countries in the SWIFT IBAN registry.
const LENGTHS: [(&[u8; 2], usize); 79] = [
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"LY", 25),
    (b"SD", 18),
];

/// An IBAN whose check digits are the digit run at `s` (the country code is the two uppercase
/// letters before it).
///
/// Country code, two check digits and the BBAN in uppercase letters and digits, exactly the
/// country's length, written without spaces or in groups of four joined by single spaces
/// (the last group shorter); not continued by a letter or digit on either side; mod 97 == 1.
pub(crate) fn at(text: &Text<'_>, s: usize) -> Option<Span> {
    let start = s.checked_sub(2)?;
    let b = text.b;
    let country = [b[start], b[start + 1]];
    if !country.iter().all(u8::is_ascii_uppercase) || !text.digit_at(s + 1) {
        return None;
    }
    if text
        .before(start)
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let len = LENGTHS.iter().find(|(c, _)| **c == country)?.1;
    let grouped = text.at(s + 2) == Some(b' ');
    let mut chars = [0u8; 34];
    let mut n = 0;
    let mut pos = start;
    while n < len {
        if grouped && n > 0 && n % 4 == 0 {
            if text.at(pos) != Some(b' ') {
                return None;
            }
            pos += 1;
        }
        let c = text.at(pos)?;
        if !(c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return None;
        }
        chars[n] = c;
        n += 1;
        pos += 1;
    }
    if text.at(pos).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    (mod97(&chars[..len]) == 1).then_some(start..pos)
}

/// The IBAN checksum: the first four characters moved to the end, letters as 10–35, mod 97.
fn mod97(iban: &[u8]) -> u32 {
    let (head, tail) = iban.split_at(4);
    tail.iter().chain(head).fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            (acc * 10 + u32::from(c - b'0')) % 97
        } else {
            (acc * 100 + u32::from(c - b'A') + 10) % 97
        }
    })
}
